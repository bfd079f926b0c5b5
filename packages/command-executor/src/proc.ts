// Also published alone as `@harness/command-executor/proc`, for callers that must not load the
// launcher (and execa): this module imports node:fs and nothing else.
import { readdirSync, readFileSync } from 'node:fs';

/** What `/proc/PID/stat` tells about a process. */
export interface ProcStat {
  readonly pid: number;
  /** The program name (`comm`), at most 15 bytes. */
  readonly comm: string;
  /** One letter: R, S, D, Z (zombie), T, … */
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** CPU time in user mode, in clock ticks (USER_HZ, 100 on Linux). */
  readonly utime: number;
  /** CPU time in kernel mode, in clock ticks. */
  readonly stime: number;
  /** Start time in clock ticks after boot: with the pid, it names one process for good. */
  readonly startTime: number;
}

/**
 * Reads `/proc/PID/stat`, or undefined when there is no such process.
 *
 * @example
 * readProcStat(process.pid)?.startTime
 */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: it runs from the first '(' to the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field N is f[N - 3].
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: f[0] ?? '?',
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    utime: Number(f[11]),
    stime: Number(f[12]),
    startTime: Number(f[19]),
  };
}

/**
 * Whether the process runs: it exists, is not a zombie, and (when given) has this start time.
 * A zombie counts as gone: it has exited and only waits to be reaped.
 */
export function isRunning(pid: number, startTime?: number): boolean {
  const st = readProcStat(pid);
  if (st === undefined || st.state === 'Z' || st.state === 'X') return false;
  return startTime === undefined || st.startTime === startTime;
}

/** Every process on the machine (zombies included), read from `/proc`. */
export function listProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readProcStat(Number(name));
    if (st !== undefined) out.push(st);
  }
  return out;
}

/** Every live (non-zombie) process whose process group is `pgid`. */
export function processGroupMembers(pgid: number): ProcStat[] {
  return listProcesses().filter((st) => st.pgid === pgid && st.state !== 'Z' && st.state !== 'X');
}

/** Sends a signal, ignoring "no such process". Returns whether it was delivered. */
export function trySignal(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}
