import { cgroupPids, cgroupPopulated, killCgroup, whenCgroupEmpty } from './cgroup.js';
import { type ProcStat, processGroupMembers, readProcStat, trySignal } from './proc.js';

/** A process tree: the leader, its process group, and its cgroup when it has one. */
export interface ProcessTree {
  readonly pid: number;
  readonly pgid: number;
  readonly cgroup?: string | undefined;
}

/** Options of a stop: the polite signal, how long to wait before SIGKILL, and progress. */
export interface StopOptions {
  /** Sent first to every process of the tree (default SIGTERM). */
  readonly signal?: NodeJS.Signals;
  /** Milliseconds to wait before SIGKILL (default 10 000; 0 kills at once). */
  readonly timeout?: number;
  /** Called every `progressInterval` ms while the stop waits, with the processes it waits on. */
  readonly onWaiting?: (waitingOn: readonly ProcStat[]) => void;
  /** Milliseconds between `onWaiting` calls (default 1000). */
  readonly progressInterval?: number;
}

/** How a stop went. */
export interface StopOutcome {
  /** Whether the deadline passed and the tree was SIGKILLed. */
  readonly killed: boolean;
}

/** The live processes of the tree (from its cgroup, else by scanning for its process group). */
export function treeMembers(tree: ProcessTree): ProcStat[] {
  if (tree.cgroup !== undefined) {
    return cgroupPids(tree.cgroup)
      .map((p) => readProcStat(p))
      .filter((s): s is ProcStat => s !== undefined && s.state !== 'Z');
  }
  return processGroupMembers(tree.pgid);
}

/**
 * Whether no process of the tree is left (zombies count as gone). A cgroup stays `populated`
 * while a zombie of it waits to be reaped — for an orphan, until PID 1 gets to it, which can
 * take seconds — so a populated cgroup whose `cgroup.procs` lists no live process is gone too.
 */
export function treeGone(tree: ProcessTree): boolean {
  if (tree.cgroup !== undefined) {
    // Just after launch the leader may not have moved into its cgroup yet: an empty cgroup
    // means gone only once the leader is gone too.
    const empty = !cgroupPopulated(tree.cgroup) || treeMembers(tree).length === 0;
    return empty && !leaderAlive(tree.pid);
  }
  return processGroupMembers(tree.pgid).length === 0;
}

function leaderAlive(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

/** Sends a signal to the process group and, with a cgroup, to every process in it. */
export function signalTree(tree: ProcessTree, signal: NodeJS.Signals): void {
  trySignal(-tree.pgid, signal);
  if (tree.cgroup !== undefined) for (const pid of cgroupPids(tree.cgroup)) trySignal(pid, signal);
}

/** SIGKILLs the whole tree: the cgroup at once, and the process group. */
export function killTree(tree: ProcessTree): void {
  if (tree.cgroup !== undefined) killCgroup(tree.cgroup);
  trySignal(-tree.pgid, 'SIGKILL');
}

/**
 * Resolves when no process of the tree is left. With a cgroup, the cgroup emptying is an
 * inotify event; but orphans that exited stay zombies in it until PID 1 reaps them, with no
 * event, so the live members are also checked with a back-off from 1 ms to 50 ms — the only
 * way without a cgroup (there is no exit event for processes that are not our children).
 */
export function whenTreeGone(tree: ProcessTree, signal?: AbortSignal): Promise<void> {
  if (tree.cgroup === undefined) return pollUntilGone(tree, signal);
  const both = new AbortController();
  const stop = (): void => both.abort();
  signal?.addEventListener('abort', stop, { once: true });
  const cgroup = tree.cgroup;
  const emptied = whenCgroupEmpty(cgroup, both.signal).then(() =>
    // Empty may also mean "not joined yet": then the poll decides.
    treeGone(tree) ? undefined : new Promise<void>(() => {}),
  );
  return Promise.race([emptied, pollUntilGone(tree, both.signal)]).then(() => {
    signal?.removeEventListener('abort', stop);
    both.abort();
  });
}

/** Checks with a back-off from 1 ms to 50 ms until no process of the tree is left. */
function pollUntilGone(tree: ProcessTree, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let delay = 1;
    const check = (): void => {
      if (signal?.aborted || treeGone(tree)) {
        resolve();
        return;
      }
      setTimeout(check, delay);
      delay = Math.min(delay * 2, 50);
    };
    check();
  });
}

/**
 * Stops a process tree: the signal to every process, then at the deadline SIGKILL to all,
 * resolving only when every process of it is gone.
 *
 * @example
 * await stopTree({ pid, pgid: pid }, { signal: 'SIGINT', timeout: 5000 });
 */
export async function stopTree(tree: ProcessTree, options: StopOptions = {}): Promise<StopOutcome> {
  const timeout = options.timeout ?? 10_000;
  if (!(Number.isFinite(timeout) && timeout >= 0)) {
    throw new RangeError(`stop timeout must be a number of milliseconds ≥ 0, got ${JSON.stringify(timeout)}`);
  }
  if (treeGone(tree)) return { killed: false };
  if (timeout === 0) {
    killTree(tree);
    await pollUntilGone(tree);
    return { killed: true };
  }
  signalTree(tree, options.signal ?? 'SIGTERM');
  const abort = new AbortController();
  const gone = whenTreeGone(tree, abort.signal);
  let progress: NodeJS.Timeout | undefined;
  if (options.onWaiting !== undefined) {
    const report = options.onWaiting;
    progress = setInterval(() => report(treeMembers(tree)), options.progressInterval ?? 1000);
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), timeout);
  });
  try {
    const first = await Promise.race([gone.then(() => 'gone' as const), deadline]);
    if (first === 'gone') return { killed: false };
    clearInterval(progress); // what is left now is killed: no more reports of a dying tree
    killTree(tree);
    await gone;
    return { killed: true };
  } finally {
    clearTimeout(timer);
    clearInterval(progress);
    abort.abort();
  }
}
