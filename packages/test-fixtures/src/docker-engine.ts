/**
 * A private Docker engine: its own dockerd (and containerd) with every folder, the pid file and the
 * socket under one temp folder, so parallel test processes never share state. No registry is
 * reachable, so images are built from scratch with a static busybox.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureError } from './errors.js';
import { isStaticElf } from './elf.js';
import {
  cgroupPids,
  isAlive,
  logTail,
  onProcessExit,
  pollUntil,
  processesMentioning,
  requireBinary,
  runQuiet,
  runStep,
  type StepOutput,
  signal,
  waitGoneSync,
} from './system.js';

/** Options of {@link startDockerEngine}. */
export interface DockerEngineOptions {
  /** How long to wait for `docker version` to answer (default 30 000 ms). */
  readonly readyTimeoutMs?: number;
}

/** What {@link DockerEngine.runContainer} starts. */
export interface ContainerSpec {
  readonly image: string;
  /** Command and arguments (default: the image's CMD). */
  readonly command?: readonly string[];
  readonly name?: string;
  /** Run an init as PID 1 so the container stops at once (default true). */
  readonly init?: boolean;
  /** `--network` (default `none`: there is no bridge). */
  readonly network?: string;
}

/** A running private dockerd. */
export interface DockerEngine {
  /** `unix://…/docker.sock`, for `docker -H` or `DOCKER_HOST`. */
  readonly host: string;
  readonly socketPath: string;
  /** `{ DOCKER_HOST }`, to merge into a child's environment. */
  readonly env: { readonly DOCKER_HOST: string };
  /** The temp folder holding data-root, exec-root, the socket and `dockerd.log`. */
  readonly dir: string;
  /** The pid of dockerd. */
  readonly pid: number;
  /** The cgroup (in every hierarchy under /sys/fs/cgroup) holding this engine's containers. */
  readonly cgroupParent: string;
  /** Runs the docker client against this engine; never throws on exit code. */
  docker(args: readonly string[], options?: { input?: string }): Promise<StepOutput>;
  /** Builds `FROM scratch` + static busybox (with its applets linked in /bin); returns the tag. */
  buildBusyboxImage(tag?: string): Promise<string>;
  /** `docker run -d …`; returns the container id. */
  runContainer(spec: ContainerSpec): Promise<string>;
  /** Removes containers, stops dockerd, unmounts and removes what it left. Idempotent. */
  stop(): Promise<void>;
}

/** Per-process sequence for unique cgroup parents; parallel test processes differ by pid. */
let sequence = 0;

/**
 * Starts dockerd without iptables or a bridge, on the vfs storage driver, and waits until
 * `docker version` answers.
 *
 * @example
 * const engine = await startDockerEngine();
 * try {
 *   const image = await engine.buildBusyboxImage();
 *   const id = await engine.runContainer({ image, command: ['sleep', '1000'] });
 *   (await engine.docker(['exec', id, 'echo', 'hi'])).stdout; // => 'hi\n'
 * } finally {
 *   await engine.stop();
 * }
 */
export async function startDockerEngine(options: DockerEngineOptions = {}): Promise<DockerEngine> {
  const dockerd = requireBinary('dockerd', 'docker.io');
  const docker = requireBinary('docker', 'docker.io');
  requireBinary('containerd', 'containerd');

  sequence += 1;
  const cgroupParent = `harness-docker-${process.pid}-${sequence}`;
  const dir = mkdtempSync(join(tmpdir(), 'harness-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const host = `unix://${socketPath}`;
  const logFile = join(dir, 'dockerd.log');
  const client = (args: readonly string[], opts: { input?: string } = {}): Promise<StepOutput> =>
    runQuiet(docker, ['-H', host, ...args], opts);

  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      dockerd,
      [
        '--iptables=false',
        '--bridge=none',
        '--storage-driver=vfs',
        `--cgroup-parent=${cgroupParent}`,
        '--data-root',
        join(dir, 'data'),
        '--exec-root',
        join(dir, 'exec'),
        '--pidfile',
        join(dir, 'dockerd.pid'),
        '-H',
        host,
      ],
      { stdio: ['ignore', log, log] },
    );
  } finally {
    closeSync(log);
  }
  // `once` rejects when 'error' comes first (spawn failed): then there is no exit to wait for.
  const exited = once(child, 'exit').then(
    () => undefined,
    () => undefined,
  );
  const spawnError = once(child, 'error').then(([e]) => e as Error);

  const leftovers = (): number[] => [...new Set([...processesMentioning(dir), ...cgroupPids(cgroupParent)])];
  const cleanupSync = (): void => {
    const pids = leftovers();
    for (const pid of pids) signal(pid, 'SIGKILL');
    waitGoneSync(pids, 3000);
    for (const mount of mountsUnder(dir)) spawnSync('umount', ['-l', mount], { stdio: 'ignore' });
    removeCgroupsSync(cgroupParent);
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onProcessExit(cleanupSync);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      unregister();
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const ids = await client(['ps', '-aq']);
        const list = ids.stdout.split('\n').filter((s) => s !== '');
        if (ids.exitCode === 0 && list.length > 0) await client(['rm', '-f', ...list]);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      // containerd exits with dockerd; shims and container processes must not outlive it either.
      const pids = leftovers();
      for (const pid of pids) signal(pid, 'SIGKILL');
      await pollUntil(() => !pids.some(isAlive), 5000, 20);
      for (const mount of mountsUnder(dir).sort().reverse()) await runQuiet('umount', [mount]);
      await removeCgroups(cgroupParent);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const ready = await Promise.race([
      pollUntil(async () => (await client(['version'], {})).exitCode === 0, options.readyTimeoutMs ?? 30_000),
      exited.then(() => false),
      spawnError.then(() => false),
    ]);
    if (!ready) {
      const reason =
        child.exitCode !== null || child.signalCode !== null
          ? `dockerd exited (${child.exitCode ?? child.signalCode}) before answering`
          : 'dockerd never answered `docker version`';
      throw new FixtureError('NOT_READY', 'dockerd readiness', reason, { logTail: logTail(logFile) });
    }
    const engine: DockerEngine = {
      host,
      socketPath,
      env: { DOCKER_HOST: host },
      dir,
      pid: child.pid ?? 0,
      cgroupParent,
      docker: client,
      buildBusyboxImage: (tag = 'harness-test/busybox') => buildBusyboxImage(docker, host, dir, tag),
      runContainer: async (spec) => {
        const args = ['run', '-d'];
        if (spec.init ?? true) args.push('--init');
        args.push('--network', spec.network ?? 'none');
        if (spec.name !== undefined) args.push('--name', spec.name);
        args.push(spec.image, ...(spec.command ?? []));
        const out = await runStep(docker, ['-H', host, ...args], { logFile });
        return out.stdout.trim();
      },
      stop,
    };
    return engine;
  } catch (error) {
    await stop();
    throw error;
  }
}

async function buildBusyboxImage(docker: string, host: string, dir: string, tag: string): Promise<string> {
  const busybox = requireBinary('busybox', 'busybox-static');
  if (!isStaticElf(readFileSync(busybox))) {
    throw new FixtureError(
      'MISSING_BINARY',
      'find a static busybox',
      `${busybox} is dynamically linked; install busybox-static`,
    );
  }
  const context = mkdtempSync(join(dir, 'context-'));
  copyFileSync(busybox, join(context, 'busybox'));
  writeFileSync(
    join(context, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nCMD ["/bin/sh"]\n',
  );
  await runStep(docker, ['-H', host, 'build', '-q', '-t', tag, context], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' } as Record<string, string>,
    timeoutMs: 120_000,
  });
  rmSync(context, { recursive: true, force: true });
  return tag;
}

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.split(' ')[1]?.replaceAll('\\040', ' '))
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort()
    .reverse();
}

/** Removes the (empty) cgroups dockerd made for this engine's containers in every hierarchy. */
async function removeCgroups(parent: string): Promise<void> {
  let hierarchies: string[];
  try {
    hierarchies = await readdir('/sys/fs/cgroup');
  } catch {
    return;
  }
  for (const h of hierarchies) {
    const base = join('/sys/fs/cgroup', h, parent);
    await removeTree(base);
  }
}

/** The same, synchronously, for the exit handler. */
function removeCgroupsSync(parent: string): void {
  const removeTreeSync = (path: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(path, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries) removeTreeSync(join(path, e));
    try {
      rmdirSync(path);
    } catch {
      // not empty or already gone
    }
  };
  let hierarchies: string[] = [];
  try {
    hierarchies = readdirSync('/sys/fs/cgroup');
  } catch {
    // no cgroup filesystem
  }
  for (const h of hierarchies) removeTreeSync(join('/sys/fs/cgroup', h, parent));
}

async function removeTree(path: string): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(path, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) await removeTree(join(path, e));
  await rmdir(path).catch(() => undefined);
}
