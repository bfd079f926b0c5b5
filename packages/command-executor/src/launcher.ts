import { randomBytes } from 'node:crypto';
import { execa, type Options } from 'execa';
import {
  cgroupWrapper,
  createCgroup,
  harnessCgroupRoot,
  removeCgroup,
  removeCgroupWhenEmpty,
} from './cgroup.js';
import type { Command, StdinMode } from './command.js';
import { CommandError } from './errors.js';
import type { ExitStatus, ProcessEvent } from './events.js';
import { DEFAULT_MAX_LINE_LENGTH } from './line-splitter.js';
import {
  closeLogFiles,
  followLogFiles,
  type OpenLogFiles,
  openLogFiles,
  pipeLines,
} from './output-sources.js';
import { readProcStat } from './proc.js';
import { type LogFiles, logFileSizes, ProcessHandle } from './process-handle.js';
import { treeGone } from './tree.js';
import { checkCwd, resolveProgram } from './resolve-program.js';
import { SharedEventStream, type SharedEventStreamOptions } from './shared-event-stream.js';
import { SpawnServer, SpawnServerGone, SpawnStepError } from './spawn-server.js';
import type { Readable, Writable } from 'node:stream';

/** How to use cgroups: when available (`auto`, the default), never, or fail without them. */
export type CgroupMode = 'auto' | 'off' | 'required';

/** Options of {@link LocalLauncher.launch}. */
export interface LaunchOptions {
  /**
   * Send output straight to these files (opened in append mode) instead of a pipe: the process
   * keeps running and logging if the launching process dies, and never gets SIGPIPE. Events
   * then come from followers of the files, with byte offsets.
   */
  readonly logFiles?: LogFiles;
  readonly cgroup?: CgroupMode;
  /** A label for the cgroup's name (e.g. the service name). */
  readonly name?: string;
  /** Longest line in bytes before it is cut into `partial` pieces (default 1 MiB). */
  readonly maxLineLength?: number;
  /** Bounds of the event stream. */
  readonly events?: SharedEventStreamOptions;
}

/** Options of {@link LocalLauncher}. */
export interface LocalLauncherOptions {
  /**
   * Folder in which to make cgroups; default `<cgroup2 mount>/harness` when writable. `null`:
   * never use cgroups (process groups only).
   */
  readonly cgroupRoot?: string | null;
  /**
   * Start processes that write to log files (with stdin on /dev/null) through the spawn server,
   * a small perl process that forks and execs for us (default true when `perl` is in PATH):
   * a fork of it costs a fraction of a fork of this Node process, and this event loop goes on
   * meanwhile. `false` (or `HARNESS_SPAWN_SERVER=0` in the environment), or no perl: Node's spawn.
   */
  readonly spawnServer?: boolean;
}

/** What {@link LocalLauncher.run} returns. */
export interface RunResult extends ExitStatus {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Whether the timeout ran out and the tree was stopped. */
  readonly timedOut: boolean;
}

/** Grace after the main process exits for its pipes to close (grandchildren may hold them). */
const PIPE_GRACE_MS = 25;
/** Longest the exit event waits for pipes that keep getting data after the main process exited. */
const PIPE_GRACE_MAX_MS = 1000;

/**
 * Starts local processes. Each runs in its own process group and, when cgroup v2 is writable,
 * its own cgroup; output comes as typed line events (from pipes, or from log files).
 *
 * @example
 * const launcher = new LocalLauncher();
 * const [events, handle] = await launcher.launch(Command.of('sh', '-c', 'echo hi; exit 3'));
 * for await (const e of events.subscribe()) if (e.type === 'stdout') console.log(e.line);
 * console.log(await handle.wait()); // { code: 3, signal: null }
 */
export class LocalLauncher {
  readonly #cgroupRoot: string | undefined;
  readonly #spawnServer: boolean;
  #counter = 0;

  constructor(options: LocalLauncherOptions = {}) {
    this.#cgroupRoot = options.cgroupRoot === null ? undefined : (options.cgroupRoot ?? harnessCgroupRoot());
    this.#spawnServer =
      (options.spawnServer ?? process.env.HARNESS_SPAWN_SERVER !== '0') && process.platform === 'linux';
  }

  /** Whether launched trees get a cgroup (cgroup v2 writable here). */
  get cgroupsAvailable(): boolean {
    return this.#cgroupRoot !== undefined;
  }

  /**
   * Starts the command. Rejects with a {@link CommandError} (`ENOENT_PROGRAM`, `EACCES_PROGRAM`,
   * `ENOENT_CWD`, `SPAWN_FAILED`, `LOG_FILE`) before anything runs when it cannot start.
   */
  async launch(
    command: Command,
    options: LaunchOptions = {},
  ): Promise<[SharedEventStream<ProcessEvent>, ProcessHandle]> {
    const { events, handle } = await this.#start(command, options);
    return [events, handle];
  }

  async #start(command: Command, options: LaunchOptions): Promise<Started> {
    const cwd = command.cwd ?? process.cwd();
    if (command.cwd !== undefined) checkCwd(command.program, cwd);
    const env: Record<string, string | undefined> = command.inheritEnv
      ? { ...process.env, ...command.env }
      : { ...command.env };
    const file = resolveProgram(command.program, env.PATH, cwd);
    const { maxLine, mode } = checkLaunchOptions(options);
    // Made before anything runs: bad stream options are refused with nothing left behind.
    const events = new SharedEventStream<ProcessEvent>(options.events);
    if (mode === 'required' && this.#cgroupRoot === undefined) {
      throw new CommandError(
        'SPAWN_FAILED',
        `cannot run ${command.program}: cgroup v2 is not writable here`,
        {
          program: command.program,
        },
      );
    }
    let fds: OpenLogFiles | undefined;
    if (options.logFiles !== undefined) fds = openLogFiles(command.program, options.logFiles);
    let cgroup: string | undefined;
    try {
      if (mode !== 'off' && this.#cgroupRoot !== undefined) {
        cgroup = createCgroup(this.#cgroupRoot, cgroupName(options.name ?? command.program, ++this.#counter));
      }
    } catch (e) {
      if (fds !== undefined) closeLogFiles(fds);
      throw new CommandError('SPAWN_FAILED', `cannot make a cgroup for ${command.program}: ${String(e)}`, {
        program: command.program,
        cause: e,
      });
    }
    let child: Spawned;
    try {
      const server =
        this.#spawnServer && options.logFiles !== undefined && command.stdin === 'null'
          ? sharedSpawnServer()
          : undefined;
      child = await spawnChild(server, {
        file,
        args: command.args,
        cwd,
        env,
        cgroup,
        logFiles: options.logFiles,
        fds,
        stdin: command.stdin,
      });
    } catch (e) {
      if (cgroup !== undefined) removeCgroup(cgroup);
      throw spawnError(command.program, e);
    } finally {
      if (fds !== undefined) closeLogFiles(fds);
    }
    const pid = child.pid;
    const ended = child.ended;
    // The child moves itself into its cgroup before exec: nothing of the command runs outside
    // it. That move can cost milliseconds in the kernel; the child pays it, not this event loop,
    // and launch() does not wait for it — until then the child is the only process of its tree,
    // reached through its process group (see treeGone).
    const startTime = readProcStat(pid)?.startTime ?? 0;
    events.push({ type: 'started', time: Date.now(), pid });

    let exitResolve!: (s: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((r) => {
      exitResolve = r;
    });
    let exitSeen = false;
    const emitExit = (status: ExitStatus): void => {
      if (exitSeen) return;
      exitSeen = true;
      events.push({ type: 'exit', time: Date.now(), code: status.code, signal: status.signal });
      exitResolve(status);
      // Nothing is left to control once the tree is empty: its cgroup goes then, even if nobody
      // calls stop() or release(). The watch does not keep this process alive.
      if (cgroup !== undefined) removeCgroupWhenEmpty(cgroup);
    };

    let offsets: () => { stdout: number; stderr: number } | undefined = () => undefined;
    let detach = async (): Promise<void> => events.close();
    let closeOutput = (): void => undefined;
    if (options.logFiles === undefined) {
      const activity = { last: 0 };
      const closed = Promise.all([
        pipeLines(child.stdout, 'stdout', events, maxLine, activity),
        pipeLines(child.stderr, 'stderr', events, maxLine, activity),
      ]);
      closeOutput = () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      };
      void ended.then(({ code, signal }) => {
        // Lines still in the pipes come before the exit event. When nothing of the tree is left,
        // nobody else can hold the pipes: their end is near, and the exit waits for it however
        // busy the event loop is — no line of a dying process is lost. A grandchild that keeps
        // the pipes open does not hold the exit back: once they have been quiet for
        // PIPE_GRACE_MS (or at most PIPE_GRACE_MAX_MS after the exit) it is given, and the
        // grandchild's lines follow.
        const alone = treeGone({ pid, pgid: pid, cgroup });
        if (cgroup !== undefined && alone) {
          void closed.then(() => {
            emitExit({ code, signal });
            events.close();
          });
          return;
        }
        const exitAt = Date.now();
        let grace: NodeJS.Timeout | undefined;
        const check = (): void => {
          const now = Date.now();
          const quietFor = now - Math.max(activity.last, exitAt);
          // Without a cgroup a setsid grandchild may hold the pipes unseen: wait for quiet only
          // when the group still has members, else up to the bound.
          if ((!alone && quietFor >= PIPE_GRACE_MS) || now - exitAt >= PIPE_GRACE_MAX_MS)
            emitExit({ code, signal });
          else grace = setTimeout(check, PIPE_GRACE_MS - quietFor);
        };
        grace = setTimeout(check, PIPE_GRACE_MS);
        void closed.then(() => {
          clearTimeout(grace);
          emitExit({ code, signal });
          events.close();
        });
      });
    } else if (options.logFiles.follow === false) {
      const files = options.logFiles;
      offsets = () => logFileSizes(files);
      void ended.then(({ code, signal }) => {
        emitExit({ code, signal });
        events.close();
      });
    } else {
      const followers = await followLogFiles(options.logFiles, fds as OpenLogFiles, events, maxLine);
      offsets = () => ({ stdout: followers[0].offset, stderr: (followers[1] ?? followers[0]).offset });
      detach = async () => {
        await Promise.all(followers.map((f) => f.close()));
        events.close();
      };
      void ended.then(({ code, signal }) => {
        void Promise.all(followers.map((f) => f.close({ final: true }))).then(() => {
          emitExit({ code, signal });
          events.close();
        });
      });
    }
    const handle = new ProcessHandle({
      command,
      pid,
      startTime,
      cgroup,
      logFiles: options.logFiles,
      events,
      stdin: child.stdin,
      exited,
      offsets,
      // Let go of the child too: a process that detached from its children may then exit
      // while they run on (their exit is no longer watched).
      detach: async () => {
        await detach();
        child.unref();
      },
    });
    return { events, handle, closeOutput };
  }

  /**
   * Runs a command to its end and collects its output lines. With `timeout` (ms), the tree is
   * stopped (SIGTERM, then SIGKILL after `killAfter`, default 1000 ms) when it runs too long;
   * `signal` stops it the same way when aborted. Once the main process has exited, whatever it
   * left running is killed: nothing a run started outlives it, and a grandchild that keeps the
   * pipes open does not keep the run waiting.
   *
   * @example
   * const r = await new LocalLauncher().run(Command.of('git', 'status'), { timeout: 10_000 });
   * if (r.code !== 0) console.error(r.stderr.join('\n'));
   */
  async run(command: Command, options: RunOptions = {}): Promise<RunResult> {
    const { timeout, killAfter, signal } = options;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
      throw new CommandError(
        'INVALID_OPTION',
        `run timeout must be milliseconds ≥ 0, got ${String(timeout)}`,
      );
    }
    if (killAfter !== undefined && !(Number.isFinite(killAfter) && killAfter >= 0)) {
      throw new CommandError(
        'INVALID_OPTION',
        `run killAfter must be milliseconds ≥ 0, got ${String(killAfter)}`,
      );
    }
    const { events, handle, closeOutput } = await this.#start(command, options);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const reader = events.subscribe({ replay: 'all' });
    let timedOut = false;
    const stop = (): void => void handle.stop({ timeout: killAfter ?? 1000 });
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, timeout);
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    try {
      for await (const e of reader) {
        if (e.type === 'stdout') stdout.push(e.line);
        else if (e.type === 'stderr') stderr.push(e.line);
        else if (e.type === 'exit') break;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
    const status = await handle.wait();
    await handle.stop({ timeout: 0 }); // nothing it started outlives a run
    closeOutput(); // a setsid grandchild (without cgroup) may still hold the pipes: let go of them
    return { ...status, stdout, stderr, timedOut };
  }
}

/** Options of {@link LocalLauncher.run}. */
export interface RunOptions extends LaunchOptions {
  /** Milliseconds after which the tree is stopped and `timedOut` is true. */
  readonly timeout?: number;
  /** Milliseconds between SIGTERM and SIGKILL when the timeout or the signal stops it (default 1000). */
  readonly killAfter?: number;
  /** Stops the tree when aborted. */
  readonly signal?: AbortSignal;
}

interface Started {
  readonly events: SharedEventStream<ProcessEvent>;
  readonly handle: ProcessHandle;
  /** Lets go of the output pipes (pipe mode), even if a process still holds their other end. */
  readonly closeOutput: () => void;
}

/** A started child, whoever forked it. */
interface Spawned {
  readonly pid: number;
  readonly ended: Promise<ExitStatus>;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  unref(): void;
}

interface SpawnPlan {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  readonly cgroup: string | undefined;
  readonly logFiles: LogFiles | undefined;
  readonly fds: OpenLogFiles | undefined;
  readonly stdin: StdinMode;
}

/**
 * Starts the child through the spawn server when there is one (it opens the log files itself
 * and moves the child into the cgroup), else with Node's spawn: then the log files are our
 * descriptors, and a shell moves the child into its cgroup before it execs the program.
 */
async function spawnChild(server: SpawnServer | undefined, plan: SpawnPlan): Promise<Spawned> {
  if (server !== undefined && plan.logFiles !== undefined) {
    try {
      const c = await server.spawn({
        file: plan.file,
        argv: [plan.file, ...plan.args],
        cwd: plan.cwd,
        env: plan.env,
        stdout: plan.logFiles.stdout,
        stderr: plan.logFiles.stderr,
        cgroup: plan.cgroup,
      });
      return { pid: c.pid, ended: c.exited, stdin: null, stdout: null, stderr: null, unref: () => c.unref() };
    } catch (e) {
      if (!(e instanceof SpawnServerGone)) throw e;
      // the server was killed under us: Node's spawn below
    }
  }
  const argv =
    plan.cgroup === undefined
      ? [plan.file, ...plan.args]
      : cgroupWrapper(plan.cgroup, [plan.file, ...plan.args]);
  const child = execa(argv[0] as string, argv.slice(1), {
    cwd: plan.cwd,
    env: plan.env,
    extendEnv: false,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stripFinalNewline: false,
    stdin: plan.stdin === 'null' ? 'ignore' : plan.stdin,
    // A number is a file descriptor handed straight to the child; execa's types admit it only alone.
    stdout: (plan.fds?.out ?? 'pipe') as 'pipe',
    stderr: (plan.fds?.err ?? 'pipe') as 'pipe',
  } satisfies Options);
  child.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  // Listen for the end at once: the process may exit while the caller sets up its followers.
  const ended = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    pid: child.pid as number,
    ended,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    unref: () => child.unref(),
  };
}

/** How many times the spawn server may be lost before it is given up for this process. */
const SPAWN_SERVER_LIVES = 3;
let spawnServer: SpawnServer | undefined;
let spawnServerStarts = 0;

/** The spawn server of this process, started on first use (undefined when there is no perl). */
function sharedSpawnServer(): SpawnServer | undefined {
  if (spawnServer?.alive) return spawnServer;
  if (spawnServerStarts >= SPAWN_SERVER_LIVES) return undefined;
  spawnServerStarts++;
  spawnServer = SpawnServer.start();
  if (spawnServer === undefined) spawnServerStarts = SPAWN_SERVER_LIVES;
  return spawnServer;
}

const CGROUP_MODES: readonly string[] = ['auto', 'off', 'required'];

/** Checks the launch options before anything runs; bad values are refused, quoted. */
function checkLaunchOptions(options: LaunchOptions): { maxLine: number; mode: CgroupMode } {
  const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  if (!Number.isInteger(maxLine) || maxLine < 4) {
    throw new CommandError(
      'INVALID_OPTION',
      `maxLineLength must be a whole number ≥ 4, got ${JSON.stringify(options.maxLineLength)}`,
    );
  }
  const mode = options.cgroup ?? 'auto';
  if (!CGROUP_MODES.includes(mode)) {
    throw new CommandError(
      'INVALID_OPTION',
      `cgroup must be one of ${CGROUP_MODES.join(', ')}, got ${JSON.stringify(options.cgroup)}`,
    );
  }
  return { maxLine, mode };
}

function cgroupName(label: string, n: number): string {
  const safe =
    label
      .replace(/^.*\//, '')
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 40) || 'proc';
  return `${safe}-${process.pid}-${n}-${randomBytes(3).toString('hex')}`;
}

function spawnError(program: string, e: unknown): CommandError {
  const code = (e as NodeJS.ErrnoException).code;
  if (e instanceof SpawnStepError && (e.step === 'stdout' || e.step === 'stderr')) {
    return new CommandError('LOG_FILE', `cannot open the ${e.step} log file of ${program}: ${e.message}`, {
      program,
      cause: e,
    });
  }
  if (e instanceof SpawnStepError && e.step === 'cwd' && code === 'ENOENT') {
    return new CommandError('ENOENT_CWD', `cannot run ${program}: its working folder is gone`, {
      program,
      cause: e,
    });
  }
  const atExec = !(e instanceof SpawnStepError) || e.step === 'exec';
  if (atExec && code === 'ENOENT')
    return new CommandError('ENOENT_PROGRAM', `cannot run ${program}: not found`, { program, cause: e });
  if (atExec && code === 'EACCES') {
    return new CommandError('EACCES_PROGRAM', `cannot run ${program}: permission denied`, {
      program,
      cause: e,
    });
  }
  return new CommandError('SPAWN_FAILED', `cannot run ${program}: ${(e as Error).message}`, {
    program,
    cause: e,
  });
}
