import { readFileSync, readdirSync } from 'node:fs';

/** One line of /proc/PID/stat, the fields the bench needs. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** utime + stime in clock ticks. */
  readonly cpuTicks: number;
  /** Start time after boot in clock ticks: with the pid, a process's identity. */
  readonly start: number;
}

/** Clock ticks per second (USER_HZ); 100 on every Linux build the bench runs on. */
export const CLK_TCK = 100;

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime 15, starttime 22.
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
    start: Number(rest[19]),
  };
}

/** Whether the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** Every process on the machine. */
export function processTable(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** Live (non-zombie) descendants of `root` whose command name is `comm`. */
export function liveDescendants(root: number, comm: string, table = processTable()): ProcStat[] {
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
