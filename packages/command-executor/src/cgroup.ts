import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * cgroup v2 support: a cgroup per launched process tree, so that every process of it — even
 * one that called setsid or double-forked — is found, signalled and killed, and its end is an
 * event (`cgroup.events` → `populated 0`, watched with inotify) rather than a poll.
 */

/** Where cgroup2 is mounted, from /proc/mounts (not always /sys/fs/cgroup). */
export function cgroup2Mount(): string | undefined {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of mounts.split('\n')) {
    const [, dir, type] = line.split(' ');
    if (type === 'cgroup2' && dir !== undefined) return dir;
  }
  return undefined;
}

/**
 * The folder under which Harness makes its cgroups, when cgroup v2 is there and writable
 * (as root, or delegated); undefined otherwise (then process groups are used alone).
 */
export function harnessCgroupRoot(base: string | undefined = cgroup2Mount()): string | undefined {
  if (base === undefined) return undefined;
  const root = join(base, 'harness');
  try {
    if (!existsSync(root)) mkdirSync(root);
    accessSync(root, constants.W_OK);
    accessSync(join(root, 'cgroup.procs'), constants.W_OK);
    return root;
  } catch {
    return undefined;
  }
}

/** Makes a new cgroup under `root`. */
export function createCgroup(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

/** Pids in the cgroup (live ones; zombies have already left it). */
export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether any process is left in the cgroup. A cgroup that is gone counts as empty. */
export function cgroupPopulated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

/** SIGKILLs every process of the cgroup at once (`cgroup.kill`, Linux ≥ 5.14), else one by one. */
export function killCgroup(dir: string): void {
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return;
  } catch {
    // older kernels: no cgroup.kill
  }
  for (const pid of cgroupPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Removes an empty cgroup; ignores one that is gone or still busy. */
export function removeCgroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // gone already, or still populated (then the caller kept its processes alive on purpose)
  }
}

/**
 * Removes the cgroup now if it is empty, else as soon as it empties (an inotify watch that
 * does not keep the Node process alive): zombies that PID 1 has yet to reap keep it busy.
 */
export function removeCgroupWhenEmpty(dir: string): void {
  if (!cgroupPopulated(dir)) {
    removeCgroup(dir);
    return;
  }
  void whenCgroupEmpty(dir, undefined, { ref: false }).then(() => removeCgroup(dir));
}

/**
 * Resolves when the cgroup has no process left: an inotify watch on `cgroup.events`,
 * with the current state read after the watch is set so no transition is missed. With
 * `ref: false` the watch does not keep the Node process alive.
 */
export function whenCgroupEmpty(
  dir: string,
  signal?: AbortSignal,
  options: { readonly ref?: boolean } = {},
): Promise<void> {
  return new Promise((resolve) => {
    let watcher: ReturnType<typeof watch> | undefined;
    const done = (): void => {
      watcher?.close();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    if (signal?.aborted) return done();
    try {
      watcher = watch(join(dir, 'cgroup.events'), () => {
        if (!cgroupPopulated(dir)) done();
      });
      watcher.on('error', done);
      if (options.ref === false) watcher.unref();
    } catch {
      done();
      return;
    }
    signal?.addEventListener('abort', done, { once: true });
    if (!cgroupPopulated(dir)) done();
  });
}

/**
 * The argument vector that starts `argv` inside the cgroup `dir`: a shell writes its own pid
 * into `cgroup.procs` and then execs the program (same pid), so the program and everything it
 * starts are in the cgroup from the first instruction. The path is an argument, never spliced
 * into the script.
 */
export function cgroupWrapper(dir: string, argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', 'harness-cg', dir, ...argv];
}
