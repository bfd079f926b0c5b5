import { readFileSync, readdirSync } from 'node:fs';
import { listProcesses, type ProcStat, readProcStat } from '@harness/command-executor/proc';

// /proc/PID/stat itself is read by @harness/command-executor/proc; here is what only the bench needs.

/** Clock ticks per second (USER_HZ); 100 on every Linux build the bench runs on. */
export const CLK_TCK = 100;

/** CPU time (user + system) a process has used, in clock ticks; 0 when there is no such process. */
export function cpuTicks(pid: number): number {
  const s = readProcStat(pid);
  return s === undefined ? 0 : s.utime + s.stime;
}

/** Live (non-zombie) descendants of `root` whose command name is `comm`. */
export function liveDescendants(root: number, comm: string, table = listProcesses()): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of table) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: ProcStat[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    for (const ch of children.get(pid) ?? []) {
      stack.push(ch.pid);
      if (ch.comm === comm && ch.state !== 'Z' && ch.state !== 'X') out.push(ch);
    }
  }
  return out;
}

/**
 * Direct children of `pid` (from /proc/PID/task/TID/children): a dozen small reads where a scan
 * of /proc reads every process's stat, so a wait for a new child resolves within a fraction of a
 * millisecond instead of several.
 */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        if (c !== '' && c !== '\n') out.push(Number(c));
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** VmRSS of a process in bytes. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function machine(): { cores: number; memGiB: number; kernel: string } {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length ?? 0;
  const mem = /MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return { cores: cpu, memGiB: mem?.[1] ? Number(mem[1]) / 1024 / 1024 : 0, kernel };
}

/** Pids of the processes whose environment holds `entry` (`NAME=value`): a tool's strays. */
export function withEnv(entry: string): number[] {
  const out: number[] = [];
  const needle = Buffer.from(`${entry}\0`);
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`).includes(needle)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
