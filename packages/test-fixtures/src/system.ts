/**
 * Small effects the fixtures share: finding binaries, running setup steps, watching pids.
 */
import { accessSync, constants, type Dirent, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { FixtureError } from './errors.js';

/** Where root's tools live even when PATH lacks the sbin folders. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The absolute path of an executable, found on PATH (plus the sbin folders), or a
 * `MISSING_BINARY` error naming it and the package that provides it.
 *
 * @example
 * const ip = requireBinary('ip', 'iproute2'); // => '/usr/sbin/ip'
 */
export function requireBinary(name: string, debianPackage: string): string {
  const candidates = name.includes('/')
    ? [name]
    : [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS].map((d) =>
        join(d, name),
      );
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; try the next folder
    }
  }
  throw new FixtureError(
    'MISSING_BINARY',
    `find ${name}`,
    `${name} is not installed (Debian package ${debianPackage}; scripts/setup.sh installs it)`,
  );
}

/** What a finished setup command printed. */
export interface StepOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/**
 * Runs one setup command and throws `STEP_FAILED` (with its stderr) unless it exits 0.
 *
 * @example
 * await runStep('/usr/sbin/ip', ['netns', 'add', 'hn1x1']);
 */
export async function runStep(
  file: string,
  args: readonly string[],
  options: { env?: Record<string, string>; logFile?: string; timeoutMs?: number } = {},
): Promise<StepOutput> {
  const result = await runQuiet(file, args, options);
  if (result.exitCode !== 0) {
    const tail = [result.stderr, result.stdout, options.logFile ? logTail(options.logFile) : '']
      .filter((s) => s.trim() !== '')
      .join('\n');
    throw new FixtureError('STEP_FAILED', `${file} ${args.join(' ')}`, `exited with ${result.exitCode}`, {
      logTail: tail,
    });
  }
  return result;
}

/**
 * Runs a command and returns its output and exit code whatever they are (never throws for a
 * non-zero exit; a program that cannot start gives exit code 127).
 *
 * @example
 * const { exitCode } = await runQuiet('docker', ['version']);
 */
export async function runQuiet(
  file: string,
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<StepOutput> {
  const result = await execa(file, args, {
    reject: false,
    stripFinalNewline: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    ...(options.env === undefined ? {} : { env: options.env }),
    timeout: options.timeoutMs ?? 60_000,
  });
  return {
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? '') || (result.exitCode === undefined ? (result.message ?? '') : ''),
    exitCode: result.exitCode ?? 127,
  };
}

/**
 * The last `lines` lines of a log file ('' if it cannot be read).
 *
 * @example
 * logTail('/tmp/x/dockerd.log', 20)
 */
export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Whether `pid` is a live process: it exists and is not a zombie waiting to be reaped
 * (PID 1 reaps orphans lazily here, so `kill -0` alone would lie for seconds).
 *
 * @example
 * isAlive(process.pid) // => true
 */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * Reads a pid file; undefined when it is missing or does not hold a pid.
 *
 * @example
 * readPidFile('/tmp/x/sshd.pid') // => 4242
 */
export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Polls `ready` every `intervalMs` until it returns true or `timeoutMs` passes. Only used for the
 * readiness of daemons, which announce nothing (the one accepted poll).
 *
 * @example
 * await pollUntil(async () => (await runQuiet('docker', ['version'])).exitCode === 0, 30_000);
 */
export async function pollUntil(
  ready: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Blocks (synchronously) until every pid is gone or `timeoutMs` passes; for exit handlers,
 * where nothing asynchronous runs any more.
 */
export function waitGoneSync(pids: readonly number[], timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (pids.some(isAlive)) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(cell, 0, 0, 20);
  }
  return true;
}

/**
 * Registers a synchronous cleanup run when the process exits without calling `stop()` (a test
 * that threw, a forgotten `after`). Returns the function that unregisters it.
 */
export function onProcessExit(cleanup: () => void): () => void {
  const handler = (): void => {
    try {
      cleanup();
    } catch {
      // best effort: the process is exiting
    }
  };
  process.once('exit', handler);
  return () => {
    process.off('exit', handler);
  };
}

/**
 * Pids of live processes whose command line contains `text` (e.g. a fixture's temp folder,
 * which every daemon it started names in its arguments).
 *
 * @example
 * processesMentioning('/tmp/harness-docker-abc') // => [dockerd, containerd, shims…]
 */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text) && isAlive(pid)) pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Pids in a cgroup and all cgroups below it, in every hierarchy under /sys/fs/cgroup.
 *
 * @example
 * cgroupPids('harness-docker-4242-1') // => pids of this engine's containers
 */
export function cgroupPids(relative: string): number[] {
  const found = new Set<number>();
  const walk = (path: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(path, e.name));
      else if (e.name === 'cgroup.procs') {
        for (const s of readFileSync(join(path, e.name), 'utf8').split('\n'))
          if (s !== '') found.add(Number(s));
      }
    }
  };
  let hierarchies: string[];
  try {
    hierarchies = readdirSync('/sys/fs/cgroup');
  } catch {
    return [];
  }
  for (const h of hierarchies) walk(join('/sys/fs/cgroup', h, relative));
  return [...found].filter(isAlive);
}
