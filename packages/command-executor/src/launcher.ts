import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { execa, type Options } from 'execa';
import { cgroupWrapper, createCgroup, harnessCgroupRoot, joinCgroup, removeCgroup } from './cgroup.js';
import type { Command } from './command.js';
import { CommandError } from './errors.js';
import type { ExitStatus, ProcessEvent } from './events.js';
import { FileFollower } from './file-follower.js';
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter } from './line-splitter.js';
import { readProcStat } from './proc.js';
import { type LogFiles, ProcessHandle } from './process-handle.js';
import { checkCwd, resolveProgram } from './resolve-program.js';
import { SharedEventStream, type SharedEventStreamOptions } from './shared-event-stream.js';

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
  /** Folder in which to make cgroups; default `<cgroup2 mount>/harness` when writable. */
  readonly cgroupRoot?: string;
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
  #counter = 0;

  constructor(options: LocalLauncherOptions = {}) {
    this.#cgroupRoot = options.cgroupRoot ?? harnessCgroupRoot();
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
    const cwd = command.cwd ?? process.cwd();
    if (command.cwd !== undefined) checkCwd(command.program, cwd);
    const env: Record<string, string | undefined> = command.inheritEnv
      ? { ...process.env, ...command.env }
      : { ...command.env };
    const file = resolveProgram(command.program, env.PATH, cwd);
    const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;

    const mode = options.cgroup ?? 'auto';
    if (mode === 'required' && this.#cgroupRoot === undefined) {
      throw new CommandError(
        'SPAWN_FAILED',
        `cannot run ${command.program}: cgroup v2 is not writable here`,
        {
          program: command.program,
        },
      );
    }
    const cgroup =
      mode !== 'off' && this.#cgroupRoot !== undefined
        ? createCgroup(this.#cgroupRoot, cgroupName(options.name ?? command.program, ++this.#counter))
        : undefined;
    const argv =
      cgroup === undefined ? [file, ...command.args] : cgroupWrapper(cgroup, [file, ...command.args]);

    let fds: OpenLogFiles | undefined;
    if (options.logFiles !== undefined) fds = openLogFiles(command.program, options.logFiles);

    const execaOptions = {
      cwd,
      env,
      extendEnv: false,
      detached: true,
      cleanup: false,
      reject: false,
      buffer: false,
      stripFinalNewline: false,
      stdin: command.stdin === 'null' ? 'ignore' : command.stdin,
      // A number is a file descriptor handed straight to the child; execa's types admit it only alone.
      stdout: (fds?.out ?? 'pipe') as 'pipe',
      stderr: (fds?.err ?? 'pipe') as 'pipe',
    } satisfies Options;
    const child = execa(argv[0] as string, argv.slice(1), execaOptions);
    child.catch(() => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (e) {
      if (cgroup !== undefined) removeCgroup(cgroup);
      throw spawnError(command.program, e);
    } finally {
      if (fds !== undefined) {
        closeSync(fds.out);
        if (fds.err !== fds.out) closeSync(fds.err);
      }
    }
    const pid = child.pid as number;
    // Listen for the end at once: the process may exit while the followers are being set up.
    const ended = new Promise<ExitStatus>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    // The wrapper puts the child in its cgroup before exec; writing the pid here too makes that
    // true already when launch() resolves (the wrapper may not have run yet).
    if (cgroup !== undefined) joinCgroup(cgroup, pid);
    const startTime = readProcStat(pid)?.startTime ?? 0;
    const events = new SharedEventStream<ProcessEvent>(options.events);
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
    };

    let offsets: () => { stdout: number; stderr: number } | undefined = () => undefined;
    let detach = async (): Promise<void> => events.close();
    if (options.logFiles === undefined) {
      const closed = Promise.all([
        pipeLines(child.stdout, 'stdout', events, maxLine),
        pipeLines(child.stderr, 'stderr', events, maxLine),
      ]);
      void ended.then(({ code, signal }) => {
        // Lines still in the pipes come before the exit event; a grandchild that keeps the pipes
        // open does not hold the exit back for more than the grace (its lines follow the exit).
        const grace = setTimeout(() => emitExit({ code, signal }), PIPE_GRACE_MS);
        void closed.then(() => {
          clearTimeout(grace);
          emitExit({ code, signal });
          events.close();
        });
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
      detach,
    });
    return [events, handle];
  }

  /**
   * Runs a command to its end and collects its output lines. With `timeout` (ms), the tree is
   * stopped (SIGTERM, then SIGKILL after `killAfter`, default 1000 ms) when it runs too long.
   */
  async run(
    command: Command,
    options: LaunchOptions & { timeout?: number; killAfter?: number } = {},
  ): Promise<RunResult> {
    const [events, handle] = await this.launch(command, options);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const reader = events.subscribe({ replay: Number.MAX_SAFE_INTEGER });
    let timedOut = false;
    const timer =
      options.timeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            void handle.stop({ timeout: options.killAfter ?? 1000 });
          }, options.timeout);
    for await (const e of reader) {
      if (e.type === 'stdout') stdout.push(e.line);
      else if (e.type === 'stderr') stderr.push(e.line);
    }
    clearTimeout(timer);
    const status = await handle.wait();
    await handle.stop({ timeout: 0 }); // nothing it started outlives a run
    return { ...status, stdout, stderr, timedOut };
  }
}

function cgroupName(label: string, n: number): string {
  const safe =
    label
      .replace(/^.*\//, '')
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 40) || 'proc';
  return `${safe}-${process.pid}-${n}-${randomBytes(3).toString('hex')}`;
}

interface OpenLogFiles {
  readonly out: number;
  readonly err: number;
  /** Sizes when opened: followers start there, so no line written after spawn is missed. */
  readonly outStart: number;
  readonly errStart: number;
}

function openLogFiles(program: string, logFiles: LogFiles): OpenLogFiles {
  const open = (path: string): number => {
    try {
      return openSync(path, 'a', 0o640);
    } catch (e) {
      throw new CommandError(
        'LOG_FILE',
        `cannot open log file ${path} for ${program}: ${(e as Error).message}`,
        {
          program,
          cause: e,
        },
      );
    }
  };
  const out = open(logFiles.stdout);
  const outStart = fstatSync(out).size;
  if (logFiles.stderr === undefined || logFiles.stderr === logFiles.stdout) {
    return { out, err: out, outStart, errStart: outStart };
  }
  try {
    const err = open(logFiles.stderr);
    return { out, err, outStart, errStart: fstatSync(err).size };
  } catch (e) {
    closeSync(out);
    throw e;
  }
}

async function followLogFiles(
  logFiles: LogFiles,
  start: OpenLogFiles,
  events: SharedEventStream<ProcessEvent>,
  maxLineLength: number,
): Promise<[FileFollower, ...FileFollower[]]> {
  const onLine = (e: ProcessEvent): void => events.push(e);
  const out = new FileFollower(logFiles.stdout, {
    stream: 'stdout',
    from: start.outStart,
    maxLineLength,
    onLine,
  });
  await out.start();
  if (logFiles.stderr === undefined || logFiles.stderr === logFiles.stdout) return [out];
  const err = new FileFollower(logFiles.stderr, {
    stream: 'stderr',
    from: start.errStart,
    maxLineLength,
    onLine,
  });
  await err.start();
  return [out, err];
}

function pipeLines(
  stream: Readable | null,
  type: 'stdout' | 'stderr',
  events: SharedEventStream<ProcessEvent>,
  maxLineLength: number,
): Promise<void> {
  if (stream === null) return Promise.resolve();
  const splitter = new LineSplitter(maxLineLength);
  const give = (lines: ReturnType<LineSplitter['push']>): void => {
    const time = Date.now();
    for (const l of lines) {
      events.push(l.partial ? { type, time, line: l.line, partial: true } : { type, time, line: l.line });
    }
  };
  stream.on('data', (chunk: Buffer) => give(splitter.push(chunk)));
  return new Promise((resolve) => {
    stream.once('close', () => {
      give(splitter.flush());
      resolve();
    });
  });
}

function spawnError(program: string, e: unknown): CommandError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new CommandError('ENOENT_PROGRAM', `cannot run ${program}: not found`, { program, cause: e });
  if (code === 'EACCES') {
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
