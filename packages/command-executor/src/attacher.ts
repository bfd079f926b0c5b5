import { removeCgroupWhenEmpty, whenCgroupEmpty } from './cgroup.js';
import { CommandError } from './errors.js';
import type { ExitStatus, ProcessEvent } from './events.js';
import { FileFollower } from './file-follower.js';
import { DEFAULT_MAX_LINE_LENGTH } from './line-splitter.js';
import { watchPid } from './pid-watch.js';
import { isRunning, readProcStat } from './proc.js';
import { type LogFiles, logFileSizes } from './process-handle.js';
import { SharedEventStream, type SharedEventStreamOptions } from './shared-event-stream.js';
import { type ProcessTree, type StopOptions, stopTree, treeMembers } from './tree.js';

/** What identifies a running process to attach to, and where its output goes. */
export interface AttachOptions {
  readonly pid: number;
  /** The start time recorded at launch (`ProcessHandle.startTime`): guards against pid reuse. */
  readonly startTime: number;
  /** Process group (default: the pid, as the launcher makes it). */
  readonly pgid?: number;
  /** The tree's cgroup, when it has one: its end is then an inotify event. */
  readonly cgroup?: string;
  readonly logFiles?: LogFiles;
  /** Offsets to resume reading the log files from (default: their current end). */
  readonly offsets?: { readonly stdout?: number; readonly stderr?: number };
  readonly maxLineLength?: number;
  /**
   * Milliseconds between checks of a process that is not our child: default 100, or 1000 with a
   * cgroup, whose emptying is an event (the check then only catches a main process that ends
   * while others of its tree live on), so an idle supervisor of adopted services stays idle.
   */
  readonly pollInterval?: number;
  readonly events?: SharedEventStreamOptions;
}

/**
 * A process started by someone else (e.g. a supervisor that has since died): read-only status,
 * `wait()` for its end, its log files followed as events, and a stop of its whole tree. Its exit
 * code is unknown (it is not our child): the exit event says `code: null, signal: null`.
 */
export class AttachedHandle {
  readonly pid: number;
  readonly startTime: number;
  readonly pgid: number;
  readonly cgroup: string | undefined;
  readonly logFiles: LogFiles | undefined;
  readonly events: SharedEventStream<ProcessEvent>;
  readonly #followers: FileFollower[];
  readonly #exited: Promise<ExitStatus>;
  readonly #watching: AbortController;
  #gone = false;

  /** @internal */
  constructor(init: {
    options: AttachOptions;
    events: SharedEventStream<ProcessEvent>;
    followers: FileFollower[];
    watching: AbortController;
    exited: (handle: AttachedHandle) => Promise<ExitStatus>;
  }) {
    const o = init.options;
    this.pid = o.pid;
    this.startTime = o.startTime;
    this.pgid = o.pgid ?? o.pid;
    this.cgroup = o.cgroup;
    this.logFiles = o.logFiles;
    this.events = init.events;
    this.#followers = init.followers;
    this.#watching = init.watching;
    this.#exited = init.exited(this).then((s) => {
      this.#gone = true;
      return s;
    });
    this.#exited.catch(() => undefined); // rejected only by detach(); wait() reports it
  }

  get tree(): ProcessTree {
    return { pid: this.pid, pgid: this.pgid, cgroup: this.cgroup };
  }

  /** `running` while the process (with the same start time) is alive, then `exited`. */
  status(): 'running' | 'exited' {
    return !this.#gone && isRunning(this.pid, this.startTime) ? 'running' : 'exited';
  }

  /**
   * Resolves when the process has ended (its code is unknown: null). Rejects with `DETACHED`
   * when {@link detach} was called first: nobody watches the process any more.
   */
  wait(): Promise<ExitStatus> {
    return this.#exited;
  }

  /** The offsets just past the last line given out from each log file. */
  logOffsets(): { stdout: number; stderr: number } | undefined {
    const [out, err] = this.#followers;
    if (out === undefined) return this.logFiles === undefined ? undefined : logFileSizes(this.logFiles);
    return { stdout: out.offset, stderr: (err ?? out).offset };
  }

  /** The live processes of its tree. */
  processes(): ReturnType<typeof treeMembers> {
    return treeMembers(this.tree);
  }

  /**
   * Stops the whole tree (signal, deadline, SIGKILL) and resolves when it is gone, its last log
   * lines and the exit event given, and its cgroup removed.
   */
  async stop(options: StopOptions = {}): Promise<{ killed: boolean }> {
    const outcome =
      this.status() === 'exited' && this.cgroup === undefined
        ? { killed: false }
        : await stopTree(this.tree, options);
    if (!this.#watching.signal.aborted) await this.#exited;
    if (this.cgroup !== undefined) removeCgroupWhenEmpty(this.cgroup);
    return outcome;
  }

  /** Stops following the log files and watching the process, which is left alone. */
  async detach(): Promise<void> {
    this.#watching.abort();
    await Promise.all(this.#followers.map((f) => f.close()));
    this.events.close();
  }
}

/**
 * Attaches to processes that are already running, after checking they are the ones meant:
 * a pid whose start time differs is another program that reused the pid, and is refused.
 *
 * @example
 * const h = await new LocalAttacher().attach({ pid, startTime, logFiles: { stdout: 'out.log' } });
 * for await (const e of h.events.subscribe()) console.log(e);
 */
export class LocalAttacher {
  /**
   * Attaches. Rejects with `PID_MISMATCH` when the pid now belongs to another process, and
   * `NOT_RUNNING` when no such process runs.
   */
  async attach(options: AttachOptions): Promise<AttachedHandle> {
    const st = readProcStat(options.pid);
    if (st === undefined || st.state === 'Z') {
      throw new CommandError('NOT_RUNNING', `process ${options.pid} is not running`);
    }
    if (st.startTime !== options.startTime) {
      throw new CommandError(
        'PID_MISMATCH',
        `pid ${options.pid} now belongs to another process (${st.comm}, started at tick ${st.startTime}, not ${options.startTime})`,
      );
    }
    const events = new SharedEventStream<ProcessEvent>(options.events);
    const followers: FileFollower[] = [];
    const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    const onLine = (e: ProcessEvent): void => events.push(e);
    events.push({ type: 'started', time: Date.now(), pid: options.pid });
    const lf = options.logFiles;
    if (lf !== undefined && lf.follow !== false) {
      const out = new FileFollower(lf.stdout, {
        stream: 'stdout',
        from: options.offsets?.stdout ?? 'end',
        maxLineLength,
        onLine,
      });
      followers.push(out);
      if (lf.stderr !== undefined && lf.stderr !== lf.stdout) {
        followers.push(
          new FileFollower(lf.stderr, {
            stream: 'stderr',
            from: options.offsets?.stderr ?? 'end',
            maxLineLength,
            onLine,
          }),
        );
      }
      try {
        for (const f of followers) await f.start();
      } catch (e) {
        await Promise.all(followers.map((f) => f.close()));
        throw new CommandError(
          'LOG_FILE',
          `cannot follow the log files of process ${options.pid}: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
    }
    const watching = new AbortController();
    return new AttachedHandle({
      options,
      events,
      followers,
      watching,
      exited: async (handle) => {
        await whenGone(options, handle.cgroup, watching.signal);
        if (watching.signal.aborted) {
          throw new CommandError('DETACHED', `detached from process ${options.pid}: its end is not watched`);
        }
        await Promise.all(followers.map((f) => f.close({ final: true })));
        const status: ExitStatus = { code: null, signal: null };
        events.push({ type: 'exit', time: Date.now(), ...status });
        events.close();
        return status;
      },
    });
  }
}

/**
 * Resolves when the attached main process is gone. A process that is not our child gives no
 * exit event (Node has no pidfd), so it is checked every `pollInterval` ms, on one timer shared
 * by every attached process; with a cgroup the tree emptying also wakes it at once.
 */
function whenGone(options: AttachOptions, cgroup: string | undefined, detached: AbortSignal): Promise<void> {
  const interval = options.pollInterval ?? (cgroup !== undefined ? 1000 : 100);
  return new Promise((resolve) => {
    const abort = new AbortController();
    let unwatch = (): void => {};
    let ended = false;
    const done = (): void => {
      if (ended) return;
      ended = true;
      unwatch();
      abort.abort();
      detached.removeEventListener('abort', done);
      resolve();
    };
    detached.addEventListener('abort', done, { once: true });
    if (cgroup !== undefined)
      void whenCgroupEmpty(cgroup, abort.signal).then(() => !abort.signal.aborted && done());
    unwatch = watchPid(options.pid, options.startTime, interval, done);
    if (ended) unwatch();
  });
}
