import { statSync } from 'node:fs';
import {
  Command,
  CommandError,
  type ExitStatus,
  LocalAttacher,
  LocalLauncher,
  type ProcessEvent,
  type ProcStat,
  readProcStat,
  type RunResult,
  SharedEventStream,
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
import type { DockerTarget, ServiceSpec } from './spec.js';

/** Labels every container of Harness carries: whose it is. */
export const DOCKER_LABELS = {
  stack: 'io.harness.stack',
  service: 'io.harness.service',
  instance: 'io.harness.instance',
} as const;

/** Options of {@link DockerExecutor}. */
export interface DockerExecutorOptions {
  /** Runs the `docker` client (default a new one). */
  readonly launcher?: LocalLauncher;
  /** The docker client (default `docker` from `PATH`). */
  readonly dockerBinary?: string;
}

/** The container of a docker instance, as persisted to adopt it later. */
export interface DockerContainerRecord {
  readonly id: string;
  readonly name: string;
  readonly dockerHost?: string | undefined;
}

/**
 * A docker instance's record: the generic fields describe its local `docker logs -f` helper (the
 * process that writes the container's output into the log file), `container` the container.
 */
export interface DockerInstanceRecord extends InstanceRecord {
  readonly kind: 'docker';
  readonly container: DockerContainerRecord;
}

/** The name of the container of one instance: `harness.<stack>.<service>.<index>`. */
export function containerName(stack: string, service: string, index: number): string {
  return `harness.${stack}.${service}.${index}`;
}

/** Docker's answer to `inspect`, the fields used. */
interface ContainerInfo {
  readonly Id: string;
  readonly Name: string;
  readonly State: {
    readonly Status: string;
    readonly Running: boolean;
    readonly Pid: number;
    readonly ExitCode: number;
  };
  readonly Config: { readonly Labels: Readonly<Record<string, string>> | null };
}

/**
 * Runs services as Docker containers through the `docker` client: each instance is a container
 * run detached, named {@link containerName} and labelled with its stack, service and instance.
 * Its output (`docker logs -f`) is appended to the instance's log file by a local helper that,
 * like a process service, outlives the supervisor; its end is `docker wait` (an event, not a
 * poll) with the container's exit code. `stop()` is `docker stop -t <timeout>` then removal. A
 * new supervisor adopts a recorded container by id and name, and resumes its log where the last
 * one stopped reading.
 *
 * @example
 * const executor = new DockerExecutor();
 * const running = await executor.start({ stack: 'demo', index: 0, logFile: '/tmp/cache.0.log',
 *   spec: serviceSpec({ name: 'cache', target: { kind: 'docker', image: 'redis:7' } }) });
 */
export class DockerExecutor implements ServiceExecutor {
  readonly kind = 'docker';
  readonly #launcher: LocalLauncher;
  readonly #docker: string;
  readonly #attacher = new LocalAttacher();

  constructor(options: DockerExecutorOptions | LocalLauncher = {}) {
    const o = options instanceof LocalLauncher ? { launcher: options } : options;
    this.#launcher = o.launcher ?? new LocalLauncher();
    this.#docker = o.dockerBinary ?? 'docker';
  }

  async start(ctx: StartContext): Promise<RunningInstance> {
    const t = dockerTarget(ctx.spec);
    const name = containerName(ctx.stack, ctx.spec.name, ctx.index);
    const engine = new Engine(this.#launcher, this.#docker, t.dockerHost);
    const what = `${ctx.spec.name} (image ${t.image}${t.dockerHost === undefined ? '' : ` on ${t.dockerHost}`})`;
    const fail = (reason: string, cause?: unknown): OrchestrationError =>
      new OrchestrationError('START_FAILED', `cannot start ${what}: ${reason}`, { cause });

    let existing: ContainerInfo | undefined;
    try {
      existing = await engine.inspect(name);
    } catch (e) {
      throw fail(errorText(e), e);
    }
    if (existing !== undefined) {
      const labels = existing.Config.Labels ?? {};
      if (
        labels[DOCKER_LABELS.stack] !== ctx.stack ||
        labels[DOCKER_LABELS.service] !== ctx.spec.name ||
        labels[DOCKER_LABELS.instance] !== String(ctx.index)
      ) {
        throw fail(`a container named ${name} exists and was not started by Harness for this service`);
      }
      // A container of this instance that nobody supervises (its record was lost): it goes, so
      // that two never run side by side.
      await engine.remove(existing.Id);
    }

    const { args, env } = runArguments(ctx, t, name);
    const run = await engine.run(args, { env });
    const id = run.stdout.at(-1)?.trim() ?? '';
    if (run.code !== 0 || !/^[0-9a-f]{12,64}$/.test(id)) {
      // `docker run -d` may have created the container before failing to start it.
      await engine.remove(name).catch(() => undefined);
      throw fail(run.stderr.join(' ').trim() || `docker run exited with code ${run.code}`);
    }
    let info: ContainerInfo | undefined;
    try {
      info = await engine.inspect(id);
    } catch {
      info = undefined;
    }
    const follow = readsOutput(ctx.spec);
    let helper: LocalHelper;
    try {
      helper = await this.#logsHelper(engine, id, ctx.logFile, follow, name);
    } catch (e) {
      await engine.remove(id).catch(() => undefined);
      throw fail(`cannot follow its logs: ${errorText(e)}`, e);
    }
    return new DockerInstance({
      engine,
      container: { id, name, dockerHost: t.dockerHost },
      helper,
      pid: info?.State.Running ? info.State.Pid : undefined,
      logFile: ctx.logFile,
      startedAt: Date.now(),
      follow,
      adopted: false,
    });
  }

  async adopt(record: InstanceRecord): Promise<RunningInstance | undefined> {
    if (!isDockerRecord(record)) return undefined;
    const { container } = record;
    const engine = new Engine(this.#launcher, this.#docker, container.dockerHost);
    let info: ContainerInfo | undefined;
    try {
      info = await engine.inspect(container.id);
    } catch (e) {
      appendNote(record.logFile, `cannot adopt container ${container.name}: ${errorText(e)}`);
      return undefined;
    }
    if (info === undefined || info.Name !== `/${container.name}`) {
      appendNote(record.logFile, `container ${container.name} (${container.id.slice(0, 12)}) is gone`);
      return undefined;
    }
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
      helper = undefined;
    }
    if (!info.State.Running) {
      // It ended while nobody supervised it; docker kept its exit code. Its helper ends with it.
      if (helper !== undefined) {
        await Promise.race([helper.wait().catch(() => undefined), delay(HELPER_GRACE_MS)]);
        await helper.stop({ timeout: 1000 }).catch(() => undefined);
      }
      const status: ExitStatus = { code: info.State.ExitCode, signal: null };
      return endedInstance({
        status,
        record,
        cleanUp: () => engine.remove(container.id),
      });
    }
    if (helper === undefined) {
      // The helper that wrote its log is gone: a new one takes up from the last write to the file.
      helper = await this.#logsHelper(
        engine,
        container.id,
        record.logFile,
        follow,
        container.name,
        lastWrite(record.logFile),
      );
    }
    return new DockerInstance({
      engine,
      container,
      helper,
      pid: info.State.Pid,
      logFile: record.logFile,
      startedAt: record.startedAt,
      follow,
      adopted: true,
    });
  }

  /** Starts `docker logs -f` appending the container's output to the log file. */
  async #logsHelper(
    engine: Engine,
    id: string,
    logFile: string,
    follow: boolean,
    name: string,
    since?: string,
  ): Promise<LocalHelper> {
    const args = ['logs', '--follow', ...(since === undefined ? [] : ['--since', since]), id];
    const [, handle] = await this.#launcher.launch(engine.command(args), {
      logFiles: { stdout: logFile, follow },
      name: `${name}.logs`,
    });
    return handle;
  }
}

/** One running (or adopted) container. */
class DockerInstance implements RunningInstance {
  readonly events = new SharedEventStream<ProcessEvent>();
  readonly pid: number | undefined;
  readonly startTime = undefined;
  readonly adopted: boolean;
  readonly #engine: Engine;
  readonly #container: DockerContainerRecord;
  readonly #logFile: string;
  readonly #startedAt: number;
  readonly #follow: boolean;
  readonly #detached = new AbortController();
  readonly #stoppedDetached = deferred<ExitStatus>();
  readonly #exited: Promise<ExitStatus>;
  readonly #helper: LocalHelper;
  #stopping: Promise<void> | undefined;

  constructor(init: {
    engine: Engine;
    container: DockerContainerRecord;
    helper: LocalHelper;
    pid: number | undefined;
    logFile: string;
    startedAt: number;
    follow: boolean;
    adopted: boolean;
  }) {
    this.#engine = init.engine;
    this.#container = init.container;
    this.#helper = init.helper;
    this.pid = init.pid;
    this.adopted = init.adopted;
    this.#logFile = init.logFile;
    this.#startedAt = init.startedAt;
    this.#follow = init.follow;
    this.events.push({ type: 'started', time: Date.now(), pid: init.pid ?? 0 });
    const forwarding = forwardLines(init.helper.events, this.events, STDOUT_AND_ERR);
    this.#exited = this.#watch(forwarding);
  }

  /** `docker wait`, then the last lines of the helper, then the exit event. */
  async #watch(forwarding: Promise<void>): Promise<ExitStatus> {
    let code: number | null = null;
    let why: string;
    try {
      const r = await this.#engine.run(['wait', this.#container.id], { signal: this.#detached.signal });
      const text = r.stdout.at(-1)?.trim() ?? '';
      if (r.code === 0 && /^\d+$/.test(text)) code = Number(text);
      why = r.stderr.join(' ').trim() || `docker wait exited with code ${r.code}`;
    } catch (e) {
      why = errorText(e);
    }
    // Nobody watches its end any more: it is given only by a stop after the detach.
    if (this.#detached.signal.aborted) return this.#stoppedDetached.promise;
    if (code === null)
      appendNote(this.#logFile, `cannot tell how container ${this.#container.name} ended: ${why}`);
    // `docker logs -f` ends with the container, after its last line; it is given a bound.
    const helperEnd = await Promise.race([
      this.#helper.wait().then(() => 'ended' as const),
      delay(HELPER_GRACE_MS).then(() => 'late' as const),
    ]);
    if (helperEnd === 'late') await this.#helper.stop({ timeout: 1000 }).catch(() => undefined);
    await forwarding;
    const status: ExitStatus = { code, signal: null };
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
    const timeoutS = Math.max(0, Math.ceil((options.timeout ?? 10_000) / 1000));
    const done = reportWhileWaiting(options, () => this.processes());
    try {
      const r = await this.#engine.run(['stop', '-t', String(timeoutS), this.#container.id]);
      if (r.code !== 0 && !noSuchContainer(r)) {
        // The engine refused or cannot be reached: kill, and say so in the log.
        appendNote(this.#logFile, `docker stop ${this.#container.name} failed: ${r.stderr.join(' ').trim()}`);
        await this.#engine.run(['kill', this.#container.id]);
      }
      // (A detached instance has nobody watching its end; the removal below waits for it.)
      if (!this.#detached.signal.aborted) await Promise.race([this.#exited, delay(HELPER_GRACE_MS + 5000)]);
    } finally {
      done();
    }
    await this.#engine.remove(this.#container.id);
    await this.#helper.stop({ timeout: 1000 }).catch(() => undefined);
    this.#stoppedDetached.resolve({ code: null, signal: null });
  }

  processes(): ProcStat[] {
    // The container's main process, when the engine runs on this machine (its pid is ours to read).
    if (this.pid === undefined || !this.#engine.local) return [];
    const st = readProcStat(this.pid);
    return st === undefined || st.state === 'Z' ? [] : [st];
  }

  record(): DockerInstanceRecord {
    return {
      ...helperRecord('docker', this.#helper, this.#logFile, this.#startedAt, this.#follow),
      kind: 'docker',
      container: this.#container,
    };
  }

  async detach(): Promise<void> {
    this.#detached.abort();
    await this.#helper.detach();
    this.events.close();
  }
}

const STDOUT_AND_ERR: ReadonlySet<'stdout' | 'stderr'> = new Set(['stdout', 'stderr']);

/** How long `docker logs -f` may take to end after its container did. */
const HELPER_GRACE_MS = 5000;

/** The `docker` client against one engine. */
class Engine {
  readonly #launcher: LocalLauncher;
  readonly #binary: string;
  readonly host: string | undefined;

  constructor(launcher: LocalLauncher, binary: string, host: string | undefined) {
    this.#launcher = launcher;
    this.#binary = binary;
    this.host = host;
  }

  /** Whether the engine runs on this machine (a unix socket), so its pids are ours to read. */
  get local(): boolean {
    const h = this.host ?? process.env.DOCKER_HOST;
    return h === undefined || h === '' || h.startsWith('unix://');
  }

  command(args: readonly string[], env: Readonly<Record<string, string>> = {}): Command {
    return new Command({
      program: this.#binary,
      args: [...(this.host === undefined ? [] : ['-H', this.host]), ...args],
      env,
    });
  }

  /** Runs the client to its end (no cgroup: it is one short-lived process). */
  async run(
    args: readonly string[],
    options: { env?: Readonly<Record<string, string>>; signal?: AbortSignal } = {},
  ): Promise<RunResult> {
    try {
      return await this.#launcher.run(this.command(args, options.env), {
        cgroup: 'off',
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (e) {
      throw new OrchestrationError(
        'START_FAILED',
        `cannot run the docker client ${this.#binary}: ${errorText(e)}`,
        { cause: e },
      );
    }
  }

  /** The container's description, or undefined when there is none by that name or id. */
  async inspect(ref: string): Promise<ContainerInfo | undefined> {
    const r = await this.run(['container', 'inspect', ref]);
    if (r.code !== 0) {
      if (noSuchContainer(r)) return undefined;
      throw new Error(
        `docker container inspect ${ref}${this.host === undefined ? '' : ` on ${this.host}`}: ${r.stderr.join(' ').trim()}`,
      );
    }
    const list = JSON.parse(r.stdout.join('\n')) as ContainerInfo[];
    return list[0];
  }

  /** Removes a container (killing it if it runs); one that is gone already is fine. */
  async remove(ref: string): Promise<void> {
    const r = await this.run(['rm', '--force', ref]);
    if (r.code !== 0 && !noSuchContainer(r)) {
      throw new OrchestrationError(
        'START_FAILED',
        `cannot remove container ${ref}${this.host === undefined ? '' : ` on ${this.host}`}: ${r.stderr.join(' ').trim()}`,
      );
    }
  }
}

function noSuchContainer(r: RunResult): boolean {
  return r.stderr.some((l) => /no such (container|object)/i.test(l));
}

function dockerTarget(spec: ServiceSpec): DockerTarget {
  if (spec.target.kind !== 'docker') {
    throw new OrchestrationError(
      'INVALID_SPEC',
      `service ${spec.name} is a ${spec.target.kind} service, not a docker one`,
    );
  }
  return spec.target;
}

/**
 * `docker run -d …` arguments for an instance. Variables are passed as `-e NAME` with their
 * values in the client's environment, so they never show in a process list; only names that
 * would steer the client itself (`DOCKER_…`) go as `-e NAME=value`.
 */
function runArguments(
  ctx: StartContext,
  t: DockerTarget,
  name: string,
): { args: string[]; env: Record<string, string> } {
  const args = ['run', '--detach', '--name', name];
  args.push('--label', `${DOCKER_LABELS.stack}=${ctx.stack}`);
  args.push('--label', `${DOCKER_LABELS.service}=${ctx.spec.name}`);
  args.push('--label', `${DOCKER_LABELS.instance}=${ctx.index}`);
  args.push('--stop-signal', ctx.spec.shutdown.signal);
  if (t.init) args.push('--init');
  if (t.network !== undefined) args.push('--network', t.network);
  if (t.cwd !== undefined) args.push('--workdir', t.cwd);
  for (const p of t.ports ?? []) {
    const host =
      p.hostIp === undefined
        ? p.hostPort === undefined
          ? ''
          : `${p.hostPort}:`
        : `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort ?? ''}:`;
    args.push('--publish', `${host}${p.containerPort}/${p.protocol ?? 'tcp'}`);
  }
  for (const v of t.volumes ?? []) {
    args.push('--volume', `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`);
  }
  const vars: Record<string, string> = {
    ...(t.env ?? {}),
    HARNESS_STACK: ctx.stack,
    HARNESS_SERVICE: ctx.spec.name,
    HARNESS_INSTANCE: String(ctx.index),
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    if (k.startsWith('DOCKER_')) args.push('--env', `${k}=${v}`);
    else {
      args.push('--env', k);
      env[k] = v;
    }
  }
  args.push('--', t.image);
  if (t.command !== undefined) {
    args.push(...(isArgv(t.command) ? t.command : ['sh', '-c', t.command.shell]));
  }
  return { args, env };
}

function isArgv(c: readonly string[] | { readonly shell: string }): c is readonly string[] {
  return Array.isArray(c);
}

/**
 * When the log file was last written, to the nanosecond (RFC 3339, for `docker logs --since`):
 * every line the engine logged before it is in the file already. Undefined without a file.
 */
function lastWrite(file: string): string | undefined {
  let ns: bigint;
  try {
    ns = statSync(file, { bigint: true }).mtimeNs;
  } catch {
    return undefined;
  }
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

function isDockerRecord(record: InstanceRecord): record is DockerInstanceRecord {
  const c = (record as Partial<DockerInstanceRecord>).container;
  return typeof c === 'object' && c !== null && typeof c.id === 'string' && typeof c.name === 'string';
}
