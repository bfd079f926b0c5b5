import { writeFileSync } from 'node:fs';
import {
  Command,
  CommandError,
  type ExitStatus,
  FileFollower,
  LocalAttacher,
  LocalLauncher,
  type ProcessEvent,
  type ProcStat,
  SharedEventStream,
  SshLayer,
  type SshLayerOptions,
  type StopOptions,
} from '@harness/command-executor';
import { OrchestrationError } from './errors.js';
import {
  type InstanceRecord,
  type RunningInstance,
  readsOutput,
  type ServiceExecutor,
  type StartContext,
} from './executor.js';
import {
  appendNote,
  deferred,
  delay,
  endedInstance,
  errorText,
  forwardLines,
  helperRecord,
  type LocalHelper,
  reportWhileWaiting,
} from './remote-common.js';
import type { SshConnection } from './spec.js';

/** Options of {@link SshExecutor}. */
export interface SshExecutorOptions {
  /** Runs the `ssh` client (default a new one). */
  readonly launcher?: LocalLauncher;
  /** The ssh client (default `ssh` from `PATH`). */
  readonly sshBinary?: string;
  /**
   * Host keys Harness has learned. With it, a connection whose options say nothing about host
   * keys uses `StrictHostKeyChecking=accept-new` with this file first and `~/.ssh/known_hosts`
   * second: a host's key is learned on first use (in this file) and a changed key is refused.
   * Without it, the ssh client's own configuration decides.
   */
  readonly knownHostsFile?: string;
}

/** Where an ssh instance runs, as persisted to adopt it later. */
export interface SshRemoteRecord {
  /** The host's name, for messages. */
  readonly host: string;
  readonly connection: SshConnection;
  /** The remote main process (the leader of its own process group there). */
  readonly pid: number;
  /** Its start time on the remote host (`/proc/PID/stat` field 22; empty without /proc). */
  readonly startTime: string;
  /** The instance's key on the host (its pid file is `~/.harness/run/<key>.pid`). */
  readonly key: string;
  /** The local file holding the ssh client's own messages and the wrapper's. */
  readonly control: string;
  readonly controlOffset: number;
}

/**
 * An ssh instance's record: the generic fields describe the local `ssh` client (which carries the
 * remote output into the log file and outlives the supervisor), `ssh` the remote side.
 */
export interface SshInstanceRecord extends InstanceRecord {
  readonly ssh: SshRemoteRecord;
}

/**
 * Seconds-resolution helpers of the remote scripts: `st PID` prints the start time of a live
 * (not zombie) process; `reap PGID SIGNAL` signals a process group, waits up to `$grace`
 * seconds for its live members to go, then SIGKILLs what is left.
 */
const REMOTE_FUNCTIONS = `st() { read -r l < "/proc/$1/stat" || return 1; set -- \${l##*) }; [ "$1" != Z ] && echo "\${20}"; }
live() { [ -d /proc/self ] || { kill -0 -"$1" 2>/dev/null; return; }; for s in /proc/[0-9]*/stat; do read -r l 2>/dev/null < "$s" || continue; set -- \${l##*) }; [ "$3" = "$g" ] && [ "$1" != Z ] && return 0; done; return 1; }
reap() { g=$1; kill -"$2" -"$g" 2>/dev/null || return 0; n=0; while live "$g" && [ "$n" -lt "$((grace * 10))" ]; do sleep 0.1; n=$((n + 1)); done; kill -KILL -"$g" 2>/dev/null; return 0; }`;

/**
 * The remote wrapper: `sh -c WRAPPER harness-ssh KEY SIGNAL GRACE CWD command…`. It stops an
 * earlier run of the same instance that lost its connection, starts the command with `setsid`
 * (its own session and process group, stdin from /dev/null, stderr into stdout), records its pid
 * and start time in `~/.harness/run/KEY.pid` and tells them on stderr, and watches its own stdin:
 * the connection's. When that ends (the ssh connection dropped) it stops the group — the signal,
 * `GRACE` seconds, SIGKILL — so nothing is orphaned. When the main process ends, what it left in
 * its group is stopped the same way, and the exit code is told on stderr and passed on.
 */
const REMOTE_WRAPPER = `key=$1 sig=$2 grace=$3 cwd=$4; shift 4
${REMOTE_FUNCTIONS}
d=\${HOME:-/tmp}/.harness/run
mkdir -p "$d" || exit 125
f=$d/$key.pid
if [ -r "$f" ] && read -r op os < "$f" && [ -n "$op" ] && [ "$(st "$op" 2>/dev/null)" = "$os" ]; then
  echo "harness: stopping pid $op first: an earlier run of this instance that lost its connection" >&2
  reap "$op" "$sig"
fi
if [ -n "$cwd" ]; then cd "$cwd" || exit 126; fi
command -v setsid >/dev/null 2>&1 || { echo "harness: setsid is not installed on $(hostname)" >&2; exit 127; }
exec 3<&0
setsid "$@" </dev/null 2>&1 3<&- &
p=$!
s=$(st "$p" 2>/dev/null)
echo "$p $s" > "$f.$p" && mv -f "$f.$p" "$f"
echo "harness-pid $p $s" >&2
{ while read -r _; do :; done; reap "$p" "$sig"; } <&3 >/dev/null 2>&1 &
w=$!
exec 3<&-
wait "$p"; rc=$?
kill "$w" 2>/dev/null
reap "$p" "$sig"
if read -r op os < "$f" && [ "$op" = "$p" ]; then rm -f "$f"; fi
echo "harness-exit $rc" >&2
exit "$rc"`;

/**
 * `sh -c CONTROL harness-ssh-control PID STARTTIME ACTION`: prints `alive` or `gone` for the
 * process (by pid and start time where there is /proc); with an ACTION other than `check`, sends
 * that signal to its process group first.
 */
const REMOTE_CONTROL = `p=$1 s=$2 a=$3 grace=0
${REMOTE_FUNCTIONS}
if [ -d /proc/self ]; then [ "$(st "$p" 2>/dev/null)" = "$s" ] || { echo gone; exit 0; }
elif ! kill -0 "$p" 2>/dev/null; then echo gone; exit 0; fi
[ "$a" = check ] || kill -"$a" -"$p" 2>/dev/null
echo alive`;

/**
 * The local side: ssh's stdin is a FIFO it holds both ends of, so it never reads an end of file
 * (which would tell the remote watchdog the connection ended) while the ssh client lives — even
 * after the supervisor that started it is gone.
 */
const LOCAL_STDIN_WRAPPER =
  'd=$(mktemp -d) && mkfifo "$d/f" && exec 3<>"$d/f" && rm -rf "$d" && exec "$@" <&3 3<&-';

/**
 * Runs services on other hosts over SSH. Each instance is one `ssh` client on this machine
 * (started like a process service, so it outlives the supervisor and appends the remote output
 * straight to the instance's log file), running a small POSIX-shell wrapper on the host that puts
 * the command in its own process group, records its pid, and stops the whole group when the
 * connection drops. `stop()` signals the remote group over a second connection, then SIGKILLs it
 * at the deadline. A new supervisor re-attaches to the ssh client that still runs; when it does
 * not, the remote side is checked (and stopped if it lives on without its connection), and the
 * exit code is taken from what the wrapper wrote before it ended.
 *
 * @example
 * const executor = new SshExecutor({ knownHostsFile: '/var/lib/harness/known_hosts' });
 * const running = await executor.start({ stack: 'demo', index: 0, logFile: '/tmp/edge.0.log',
 *   spec: serviceSpec({ name: 'edge', target: { kind: 'ssh', host: 'edge-1',
 *     connection: { address: '10.0.0.5', user: 'deploy' }, command: ['./bin/edge'] } }) });
 */
export class SshExecutor implements ServiceExecutor {
  readonly kind: string = 'ssh';
  readonly #launcher: LocalLauncher;
  readonly #ssh: string;
  readonly #knownHostsFile: string | undefined;
  readonly #attacher = new LocalAttacher();

  constructor(options: SshExecutorOptions | LocalLauncher = {}) {
    const o = options instanceof LocalLauncher ? { launcher: options } : options;
    this.#launcher = o.launcher ?? new LocalLauncher();
    this.#ssh = o.sshBinary ?? 'ssh';
    this.#knownHostsFile = o.knownHostsFile;
  }

  /** The launcher the ssh clients run under. */
  get launcher(): LocalLauncher {
    return this.#launcher;
  }

  async start(ctx: StartContext): Promise<RunningInstance> {
    const t = ctx.spec.target;
    if (t.kind !== 'ssh') {
      throw new OrchestrationError(
        'INVALID_SPEC',
        `service ${ctx.spec.name} is a ${t.kind} service, not an ssh one`,
      );
    }
    return this.startRemote(ctx, {
      kind: 'ssh',
      host: t.host,
      connection: t.connection,
      command: t.command,
      cwd: t.cwd,
      env: t.env,
    });
  }

  /** Starts a command on a host (the ssh and package executors' common part). */
  async startRemote(ctx: StartContext, run: RemoteRun): Promise<RunningInstance> {
    const where = describeHost(run.host, run.connection);
    const key = instanceKey(ctx.stack, ctx.spec.name, ctx.index);
    const graceS = Math.max(1, Math.ceil(ctx.spec.shutdown.timeoutMs / 1000));
    const env: Record<string, string> = {
      ...(run.env ?? {}),
      HARNESS_STACK: ctx.stack,
      HARNESS_SERVICE: ctx.spec.name,
      HARNESS_INSTANCE: String(ctx.index),
    };
    const argv = Array.isArray(run.command)
      ? [...run.command]
      : ['sh', '-c', (run.command as { shell: string }).shell];
    const remote = new Command({
      program: 'sh',
      args: [
        '-c',
        REMOTE_WRAPPER,
        'harness-ssh',
        key,
        ctx.spec.shutdown.signal.replace(/^SIG/, ''),
        String(graceS),
        run.cwd ?? '',
        'env',
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        ...argv,
      ],
      // not 'null': ssh must not be given -n, the wrapper watches its stdin
      stdin: 'pipe',
    });
    const ssh = this.#layer(run.connection).apply(remote);
    const local = new Command({
      program: 'sh',
      args: ['-c', LOCAL_STDIN_WRAPPER, 'harness-ssh-client', ...ssh.argv()],
    });
    const controlFile = `${ctx.logFile}.ssh`;
    const fail = (reason: string, cause?: unknown): OrchestrationError =>
      new OrchestrationError('START_FAILED', `cannot start ${ctx.spec.name} on ${where}: ${reason}`, {
        cause,
      });
    let control: ControlChannel;
    try {
      writeFileSync(controlFile, '', { mode: 0o600 });
      control = new ControlChannel(controlFile, 0, ctx.logFile);
      await control.start();
    } catch (e) {
      throw fail(`cannot write ${controlFile}: ${errorText(e)}`, e);
    }
    const follow = readsOutput(ctx.spec);
    let helper: LocalHelper;
    try {
      [, helper] = await this.#launcher.launch(local, {
        logFiles: { stdout: ctx.logFile, stderr: controlFile, follow },
        name: `${ctx.stack}.${ctx.spec.name}.${ctx.index}.ssh`,
      });
    } catch (e) {
      await control.close(false);
      throw fail(e instanceof CommandError ? e.message : errorText(e), e);
    }
    const boundMs = ((run.connection.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S) + graceS) * 1000 + 30_000;
    const bound = new AbortController();
    const first = await Promise.race([
      control.started,
      helper.wait().then((s) => ({ ended: s })),
      delay(boundMs, bound.signal).then(() => ({ timedOut: true as const })),
    ]);
    bound.abort();
    if (!('pid' in first)) {
      if ('timedOut' in first) await helper.stop({ timeout: 1000 }).catch(() => undefined);
      await control.close(true);
      const said = control.messages.join(' ').trim();
      const reason =
        'timedOut' in first
          ? `no answer from the host within ${Math.round(boundMs / 1000)} s`
          : said !== ''
            ? said
            : `ssh exited with code ${first.ended.code ?? first.ended.signal}`;
      throw fail(reason);
    }
    return new SshInstance({
      executor: this,
      kind: run.kind,
      helper,
      control,
      remote: {
        host: run.host,
        connection: run.connection,
        pid: first.pid,
        startTime: first.startTime,
        key,
        control: controlFile,
        controlOffset: 0,
      },
      logFile: ctx.logFile,
      startedAt: Date.now(),
      follow,
      adopted: false,
    });
  }

  async adopt(record: InstanceRecord): Promise<RunningInstance | undefined> {
    if (!isSshRecord(record)) return undefined;
    const r = record.ssh;
    const where = describeHost(r.host, r.connection);
    const follow = record.follow !== false;
    let helper: LocalHelper | undefined;
    try {
      helper = await this.#attacher.attach({
        pid: record.pid,
        startTime: record.startTime,
        ...(record.cgroup !== undefined ? { cgroup: record.cgroup } : {}),
        logFiles: { stdout: record.logFile, follow },
        offsets: { stdout: record.offset },
      });
    } catch (e) {
      if (!(e instanceof CommandError && (e.code === 'NOT_RUNNING' || e.code === 'PID_MISMATCH'))) throw e;
    }
    const control = new ControlChannel(r.control, r.controlOffset, record.logFile);
    try {
      await control.start();
    } catch {
      // no control file any more: nothing to learn from it
    }
    if (helper !== undefined) {
      // The ssh client still runs, so its connection does and the remote side with it.
      return new SshInstance({
        executor: this,
        kind: record.kind,
        helper,
        control,
        remote: r,
        logFile: record.logFile,
        startedAt: record.startedAt,
        follow,
        adopted: true,
      });
    }
    // The ssh client ended while no supervisor ran: the wrapper told how the command ended, or
    // the connection dropped (and the remote watchdog stopped the group).
    await control.close(true);
    if (control.exitCode !== undefined) {
      return endedInstance({
        status: { code: control.exitCode, signal: null },
        record,
        cleanUp: async () => {},
      });
    }
    const check = await this.control(r, 'check');
    if (check === 'alive') {
      const killed = await this.control(r, 'KILL');
      appendNote(
        record.logFile,
        `remote pid ${r.pid} on ${where} ran on without its ssh connection; ${killed === 'alive' ? 'it was killed' : `it could not be killed: ${killed}`}`,
      );
    } else if (check === 'gone') {
      appendNote(
        record.logFile,
        `remote pid ${r.pid} on ${where} is gone: its ssh connection ended while no supervisor ran; exit code unknown`,
      );
    } else {
      appendNote(record.logFile, `cannot check remote pid ${r.pid} on ${where}: ${check}`);
    }
    return undefined;
  }

  /**
   * Checks the remote process (`check`) or signals its group (`TERM`, `KILL`, …) over a new
   * connection: `alive`, `gone`, or what went wrong.
   */
  async control(remote: SshRemoteRecord, action: string): Promise<string> {
    const cmd = this.#layer(remote.connection).apply(
      Command.of(
        'sh',
        '-c',
        REMOTE_CONTROL,
        'harness-ssh-control',
        String(remote.pid),
        remote.startTime,
        action,
      ),
    );
    try {
      const r = await this.#launcher.run(cmd, {
        cgroup: 'off',
        timeout: ((remote.connection.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S) + 10) * 1000,
      });
      const answer = r.stdout.at(-1)?.trim();
      if (r.code === 0 && (answer === 'alive' || answer === 'gone')) return answer;
      return r.stderr.join(' ').trim() || (r.timedOut ? 'no answer' : `ssh exited with code ${r.code}`);
    } catch (e) {
      return errorText(e);
    }
  }

  /** Runs a command on a host to its end (for the package executor's copy and install steps). */
  command(connection: SshConnection, command: Command): Command {
    return this.#layer(connection).apply(command);
  }

  #layer(c: SshConnection): SshLayer {
    const own = c.options ?? {};
    const hostKeys: Record<string, string> =
      this.#knownHostsFile === undefined || 'StrictHostKeyChecking' in own || 'UserKnownHostsFile' in own
        ? {}
        : {
            StrictHostKeyChecking: 'accept-new',
            UserKnownHostsFile: `"${this.#knownHostsFile}" ~/.ssh/known_hosts`,
          };
    const options: SshLayerOptions = {
      host: c.address,
      ...(c.port === undefined ? {} : { port: c.port }),
      ...(c.user === undefined ? {} : { user: c.user }),
      ...(c.identityFile === undefined ? {} : { identityFile: c.identityFile }),
      connectTimeout: c.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S,
      // A dead network is noticed in 45 s rather than at TCP's pace. A client never becomes a
      // shared master (one from ~/.ssh/config would linger in the instance's tree); it may use one.
      options: {
        ServerAliveInterval: '15',
        ServerAliveCountMax: '3',
        LogLevel: 'ERROR',
        ControlMaster: 'no',
        ...hostKeys,
        ...own,
      },
      sshBinary: this.#ssh,
    };
    return new SshLayer(options);
  }
}

/** What runs on a host: the ssh target's fields, and the package's once it is there. */
export interface RemoteRun {
  /** The record's `kind`: the executor that adopts it. */
  readonly kind: string;
  readonly host: string;
  readonly connection: SshConnection;
  readonly command: readonly string[] | { readonly shell: string };
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
}

const DEFAULT_CONNECT_TIMEOUT_S = 10;

/**
 * The ssh client's stderr: the wrapper's `harness-pid PID STARTTIME` and `harness-exit CODE`
 * lines, and messages (ssh's own, the wrapper's), which are copied into the service's log.
 */
class ControlChannel {
  readonly #started = deferred<{ pid: number; startTime: string }>();
  readonly #follower: FileFollower;
  readonly #logFile: string;
  readonly messages: string[] = [];
  exitCode: number | undefined;
  #closed = false;

  constructor(file: string, from: number, logFile: string) {
    this.#logFile = logFile;
    this.#follower = new FileFollower(file, { stream: 'stderr', from, onLine: (e) => this.#line(e.line) });
  }

  get started(): Promise<{ pid: number; startTime: string }> {
    return this.#started.promise;
  }

  get offset(): number {
    return this.#follower.offset;
  }

  start(): Promise<void> {
    return this.#follower.start();
  }

  #line(line: string): void {
    const pid = /^harness-pid (\d+) ?(\d*)$/.exec(line);
    if (pid !== null) {
      this.#started.resolve({ pid: Number(pid[1]), startTime: pid[2] ?? '' });
      return;
    }
    const exit = /^harness-exit (\d+)$/.exec(line);
    if (exit !== null) {
      this.exitCode = Number(exit[1]);
      return;
    }
    if (line.trim() === '') return;
    this.messages.push(line);
    if (this.messages.length > 20) this.messages.shift();
    try {
      writeFileSync(this.#logFile, `${line}\n`, { flag: 'a', mode: 0o640 });
    } catch {
      // the log folder is gone
    }
  }

  async close(final: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#follower.close({ final });
  }
}

/** One instance on a host, started or adopted. */
class SshInstance implements RunningInstance {
  readonly events = new SharedEventStream<ProcessEvent>();
  readonly pid: number;
  readonly startTime = undefined;
  readonly adopted: boolean;
  readonly #executor: SshExecutor;
  readonly #kind: string;
  readonly #helper: LocalHelper;
  readonly #control: ControlChannel;
  readonly #remote: SshRemoteRecord;
  readonly #logFile: string;
  readonly #startedAt: number;
  readonly #follow: boolean;
  readonly #exited: Promise<ExitStatus>;
  #ended = false;
  #detached = false;
  readonly #stoppedDetached = deferred<ExitStatus>();
  #stopping: Promise<void> | undefined;

  constructor(init: {
    executor: SshExecutor;
    kind: string;
    helper: LocalHelper;
    control: ControlChannel;
    remote: SshRemoteRecord;
    logFile: string;
    startedAt: number;
    follow: boolean;
    adopted: boolean;
  }) {
    this.#executor = init.executor;
    this.#kind = init.kind;
    this.#helper = init.helper;
    this.#control = init.control;
    this.#remote = init.remote;
    this.pid = init.remote.pid;
    this.adopted = init.adopted;
    this.#logFile = init.logFile;
    this.#startedAt = init.startedAt;
    this.#follow = init.follow;
    this.events.push({ type: 'started', time: Date.now(), pid: this.pid });
    const forwarding = forwardLines(init.helper.events, this.events, STDOUT_ONLY);
    this.#exited = this.#watch(forwarding);
  }

  async #watch(forwarding: Promise<void>): Promise<ExitStatus> {
    let ssh: ExitStatus;
    try {
      ssh = await this.#helper.wait();
    } catch {
      ssh = { code: null, signal: null }; // detached from an adopted client
    }
    this.#ended = true;
    // Nobody watches its end any more: it is given only by a stop after the detach.
    if (this.#detached) return this.#stoppedDetached.promise;
    await this.#control.close(true);
    await forwarding;
    let status: ExitStatus;
    if (this.#control.exitCode !== undefined) status = { code: this.#control.exitCode, signal: null };
    else {
      // No word from the wrapper: the connection ended first (its watchdog stopped the group).
      status = ssh.code === 255 || ssh.code === null ? { code: null, signal: ssh.signal } : ssh;
      if (this.#stopping === undefined) {
        appendNote(
          this.#logFile,
          `the ssh connection to ${describeHost(this.#remote.host, this.#remote.connection)} ended (${ssh.signal ?? `ssh exit code ${ssh.code}`}); the remote process group was stopped`,
        );
      }
    }
    this.events.push({ type: 'exit', time: Date.now(), ...status });
    this.events.close();
    return status;
  }

  wait(): Promise<ExitStatus> {
    return this.#exited;
  }

  stop(options: StopOptions): Promise<void> {
    this.#stopping ??= this.#stop(options);
    return this.#stopping;
  }

  async #stop(options: StopOptions): Promise<void> {
    const timeout = options.timeout ?? 10_000;
    const signal = (options.signal ?? 'SIGTERM').replace(/^SIG/, '');
    const exited = this.#exited.then(() => 'exited' as const);
    if (this.#detached) {
      // Nobody watches its end any more: signal the group, then drop the connection, after
      // which the remote watchdog gives it the rest of the grace and SIGKILLs what is left.
      await this.#executor.control(this.#remote, signal);
      await this.#helper.stop({ timeout }).catch(() => undefined);
      this.#stoppedDetached.resolve({ code: null, signal: null });
      return;
    }
    const done = reportWhileWaiting(options, () => this.processes());
    const bound = new AbortController();
    try {
      if (!this.#ended) {
        const first =
          timeout > 0
            ? await this.#executor
                .control(this.#remote, signal)
                .then(() =>
                  Promise.race([exited, delay(timeout, bound.signal).then(() => 'deadline' as const)]),
                )
            : 'deadline';
        if (first === 'deadline' && !this.#ended) {
          await this.#executor.control(this.#remote, 'KILL');
          const connectS = this.#remote.connection.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S;
          const second = await Promise.race([
            exited,
            delay((connectS + 5) * 1000, bound.signal).then(() => 'late' as const),
          ]);
          // The host does not answer: dropping the connection leaves the rest to the remote watchdog.
          if (second === 'late') await this.#helper.stop({ timeout: 0 }).catch(() => undefined);
        }
      }
    } finally {
      bound.abort();
      done();
    }
    await this.#helper.stop({ timeout: 1000 }).catch(() => undefined);
    await this.#exited;
  }

  processes(): ProcStat[] {
    return this.#helper.processes();
  }

  record(): SshInstanceRecord {
    return {
      ...helperRecord(this.#kind, this.#helper, this.#logFile, this.#startedAt, this.#follow),
      ssh: { ...this.#remote, controlOffset: this.#control.offset },
    };
  }

  async detach(): Promise<void> {
    this.#detached = true;
    await this.#helper.detach();
    await this.#control.close(false);
    this.events.close();
  }
}

const STDOUT_ONLY: ReadonlySet<'stdout' | 'stderr'> = new Set(['stdout']);

/** `edge-1 (deploy@10.0.0.5:22)`. */
export function describeHost(host: string, c: SshConnection): string {
  return `host ${host} (${c.user === undefined ? '' : `${c.user}@`}${c.address}:${c.port ?? 22})`;
}

/** The instance's name on a host, safe in a file name. */
function instanceKey(stack: string, service: string, index: number): string {
  return `${stack}.${service}.${index}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function isSshRecord(record: InstanceRecord): record is SshInstanceRecord {
  const r = (record as Partial<SshInstanceRecord>).ssh;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.pid === 'number' &&
    typeof r.control === 'string' &&
    typeof r.connection?.address === 'string'
  );
}
