import { statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { removeCgroupWhenEmpty } from './cgroup.js';
import type { Command } from './command.js';
import { CommandError } from './errors.js';
import type { ExitStatus, ProcessEvent } from './events.js';
import { isRunning } from './proc.js';
import type { SharedEventStream } from './shared-event-stream.js';
import { type ProcessTree, type StopOptions, signalTree, stopTree, treeGone, treeMembers } from './tree.js';

/** Where a launched process writes its output, when it writes to files. */
export interface LogFiles {
  readonly stdout: string;
  /** Default: the same file as stdout. */
  readonly stderr?: string;
  /**
   * Read the files back as line events (default true). With `false` nothing reads them: the
   * events are only `started` and `exit`, the exit is given as soon as the process has ended
   * (its output is all in the files already), and the log offsets are the files' sizes.
   */
  readonly follow?: boolean;
}

/** The sizes of the log files: the offsets of an output that is not followed. */
export function logFileSizes(files: LogFiles): { stdout: number; stderr: number } {
  const size = (f: string): number => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  const stdout = size(files.stdout);
  return {
    stdout,
    stderr: files.stderr === undefined || files.stderr === files.stdout ? stdout : size(files.stderr),
  };
}

/** @internal What the launcher hands the handle. */
export interface ProcessHandleInit {
  readonly command: Command;
  readonly pid: number;
  readonly startTime: number;
  readonly cgroup: string | undefined;
  readonly logFiles: LogFiles | undefined;
  readonly events: SharedEventStream<ProcessEvent>;
  readonly stdin: Writable | null;
  readonly exited: Promise<ExitStatus>;
  readonly offsets: () => { stdout: number; stderr: number } | undefined;
  readonly detach: () => Promise<void>;
}

/**
 * Full control of a launched process and everything it starts: it runs in its own process
 * group (and cgroup, when cgroup v2 is writable), so signals and stops reach grandchildren too.
 *
 * @example
 * const [events, handle] = await new LocalLauncher().launch(Command.of('sleep', '100'));
 * await handle.stop({ signal: 'SIGTERM', timeout: 2000 });
 */
export class ProcessHandle {
  readonly command: Command;
  readonly pid: number;
  /** Process start time in clock ticks after boot (`/proc/PID/stat`): pid + startTime name it. */
  readonly startTime: number;
  readonly pgid: number;
  /** The cgroup v2 folder of the tree, when there is one. */
  readonly cgroup: string | undefined;
  readonly logFiles: LogFiles | undefined;
  readonly events: SharedEventStream<ProcessEvent>;
  readonly #stdin: Writable | null;
  readonly #exited: Promise<ExitStatus>;
  readonly #offsets: ProcessHandleInit['offsets'];
  readonly #detach: ProcessHandleInit['detach'];
  #status: ExitStatus | undefined;

  /** @internal */
  constructor(init: ProcessHandleInit) {
    this.command = init.command;
    this.pid = init.pid;
    this.startTime = init.startTime;
    this.pgid = init.pid;
    this.cgroup = init.cgroup;
    this.logFiles = init.logFiles;
    this.events = init.events;
    this.#stdin = init.stdin;
    this.#offsets = init.offsets;
    this.#detach = init.detach;
    this.#exited = init.exited.then((s) => {
      this.#status = s;
      return s;
    });
  }

  /** The tree this handle controls. */
  get tree(): ProcessTree {
    return { pid: this.pid, pgid: this.pgid, cgroup: this.cgroup };
  }

  /** Whether the main process still runs. */
  get running(): boolean {
    return this.#status === undefined && isRunning(this.pid, this.startTime);
  }

  /** How the main process ended, once it has. */
  get exitStatus(): ExitStatus | undefined {
    return this.#status;
  }

  /** With log files: the offsets just past the last line given out on each stream. */
  logOffsets(): { stdout: number; stderr: number } | undefined {
    return this.#offsets();
  }

  /**
   * Stops following the log files (with `logFiles`) and ends the event stream; the process keeps
   * running, for another supervisor to attach to. Without log files it only ends the stream.
   */
  detach(): Promise<void> {
    return this.#detach();
  }

  /** Sends a signal to every process of the tree. */
  signal(signal: NodeJS.Signals = 'SIGTERM'): void {
    signalTree(this.tree, signal);
  }

  /** Resolves with the main process's exit status. */
  wait(): Promise<ExitStatus> {
    return this.#exited;
  }

  /**
   * Stops the whole tree: `signal` to every process, SIGKILL to all at `timeout`, and resolves
   * with the main process's status once every process of the tree is gone.
   */
  async stop(options: StopOptions = {}): Promise<ExitStatus & { killed: boolean }> {
    const { killed } = await stopTree(this.tree, options);
    const status = await this.#exited;
    this.release();
    return { ...status, killed };
  }

  /** SIGKILLs the whole tree at once and resolves when it is gone. */
  kill(): Promise<ExitStatus & { killed: boolean }> {
    return this.stop({ timeout: 0 });
  }

  /** The live processes of the tree. */
  processes(): ReturnType<typeof treeMembers> {
    return treeMembers(this.tree);
  }

  /**
   * Writes to the process's stdin (the command needs `stdin: 'pipe'`). Resolves once the data is
   * handed to the pipe, so awaiting each write honours backpressure; rejects with `STDIN_CLOSED`
   * when stdin was ended or the process closed its end.
   */
  write(data: string | Uint8Array): Promise<void> {
    const stdin = this.#writableStdin();
    const closed = (cause?: unknown): CommandError =>
      new CommandError('STDIN_CLOSED', `stdin of ${this.command.program} is closed`, {
        program: this.command.program,
        cause,
      });
    if (stdin.writableEnded || stdin.destroyed) return Promise.reject(closed());
    return new Promise((resolve, reject) => {
      stdin.write(data, (err) => (err ? reject(closed(err)) : resolve()));
    });
  }

  /** Closes the process's stdin. */
  end(): Promise<void> {
    const stdin = this.#writableStdin();
    return new Promise((resolve) => stdin.end(resolve));
  }

  #writableStdin(): Writable {
    if (this.#stdin === null) {
      throw new CommandError(
        'STDIN_CLOSED',
        `${this.command.program} was not started with stdin: 'pipe', so nothing can be written to it`,
        { program: this.command.program },
      );
    }
    return this.#stdin;
  }

  /**
   * Removes the tree's cgroup once every process of it is gone (`stop()` does this, and so does
   * the launcher when the main process has exited and the tree empties). A cgroup that still
   * holds zombies waiting for PID 1 goes as soon as they are reaped.
   */
  release(): void {
    if (this.cgroup !== undefined && treeGone(this.tree)) removeCgroupWhenEmpty(this.cgroup);
  }
}
