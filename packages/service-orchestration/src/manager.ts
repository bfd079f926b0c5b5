import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { LocalLauncher, SharedEventStream } from '@harness/command-executor';
import { OrchestrationError } from './errors.js';
import type { InstanceStatus, ManagerEvent, ServiceCounters } from './events.js';
import type { ServiceExecutor } from './executor.js';
import { startOrder, withDependencies } from './graph.js';
import { Instance } from './instance.js';
import { DEFAULT_LOG_LIMITS, type LogLimits, LogStore } from './log-store.js';
import { ProcessExecutor } from './process-executor.js';
import { remoteExecutors as remote } from './remote-executors.js';
import { checkServiceSpec, type DependencyCondition, type ServiceSpec, type StackSpec } from './spec.js';
import { type PersistedStack, type PersistedState, StateStore } from './state-store.js';
import { type LogsOptions, readLogs, type StampedLogLine } from './logs.js';

/** Options of {@link ServiceManager.open}. */
export interface ServiceManagerOptions {
  /** Folder of the persisted state and the log files. */
  readonly stateDir: string;
  /**
   * Executors by target kind, added to (or replacing) the built-in ones. The built-in
   * `process` executor runs local processes.
   */
  readonly executors?: readonly ServiceExecutor[];
  readonly launcher?: LocalLauncher;
  readonly logLimits?: LogLimits;
  /** Random numbers for backoff jitter (0..1). */
  readonly random?: () => number;
  /**
   * Milliseconds between `stop-waiting` events while a stop waits on processes that have not
   * ended yet (default 1000).
   */
  readonly stopProgressIntervalMs?: number;
}

/** One row of {@link ServiceManager.status}. */
export interface InstanceInfo extends InstanceStatus {
  readonly stack: string;
  readonly service: string;
  readonly instance: number;
  /** `healthy` / `unhealthy` once a readiness probe has an opinion, `none` without one. */
  readonly health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  readonly pid: number | undefined;
  /** Process start time in clock ticks after boot (pid + start time name one process). */
  readonly startTime: number | undefined;
  readonly restarts: number;
  readonly startedAt: number | undefined;
  readonly uptimeMs: number | undefined;
  readonly ports: Readonly<Record<string, number>>;
  readonly counters: Readonly<ServiceCounters>;
}

/** What {@link ServiceManager.up} reports per service. */
export interface UpOutcome {
  readonly ok: boolean;
  readonly services: readonly {
    readonly service: string;
    readonly ok: boolean;
    readonly state: string;
    readonly reason?: string;
  }[];
}

interface ServiceRuntime {
  spec: ServiceSpec;
  instances: Instance[];
  counters: ServiceCounters;
  desired: boolean;
}

interface StackRuntime {
  spec: StackSpec;
  services: Map<string, ServiceRuntime>;
}

/**
 * Runs stacks of services: starts them in dependency order gated on health, supervises them by
 * policy, stops them in reverse order, and survives its own death — the state (desired stacks,
 * instances with pid + start time + log offsets) is persisted atomically, and a new manager on
 * the same folder adopts every live instance instead of starting it again.
 *
 * @example
 * const manager = await ServiceManager.open({ stateDir: '/tmp/harness-state' });
 * await manager.up({ name: 'demo', services: [serviceSpec({ name: 'web', target: { kind: 'process', command: ['node', 'web.js'] } })] });
 * console.log(manager.status());
 * await manager.down('demo');
 */
export class ServiceManager {
  /** State changes, health results, spawns, exits and restarts of every instance. */
  readonly events = new SharedEventStream<ManagerEvent>({ history: 10_000 });
  readonly #store: StateStore;
  readonly #logs: LogStore;
  readonly #executors = new Map<string, ServiceExecutor>();
  readonly #launcher: LocalLauncher;
  readonly #random: () => number;
  readonly #stopProgressIntervalMs: number;
  readonly #stacks = new Map<string, StackRuntime>();
  readonly #changes = new EventEmitter();
  #saveScheduled = false;
  /** A write of the state is in flight (they are serialized). */
  #writing: Promise<void> | undefined;
  /** Something changed since the last write began. */
  #dirty = false;
  /** What the last durable write held of the desired state (specs + desired services). */
  #durableKey = '';
  readonly #specIds = new WeakMap<StackSpec, number>();
  #specCounter = 0;
  #closed = false;

  private constructor(options: ServiceManagerOptions) {
    this.#store = new StateStore(options.stateDir);
    this.#logs = new LogStore(join(options.stateDir, 'logs'), options.logLimits ?? DEFAULT_LOG_LIMITS);
    this.#launcher = options.launcher ?? new LocalLauncher();
    for (const e of [new ProcessExecutor(this.#launcher), ...remote(options), ...(options.executors ?? [])])
      this.#executors.set(e.kind, e);
    this.#random = options.random ?? Math.random;
    const interval = options.stopProgressIntervalMs ?? 1000;
    if (!(Number.isFinite(interval) && interval > 0)) {
      throw new OrchestrationError(
        'INVALID_SPEC',
        `stopProgressIntervalMs must be a number of milliseconds > 0, got ${JSON.stringify(interval)}`,
      );
    }
    this.#stopProgressIntervalMs = interval;
    this.#changes.setMaxListeners(0);
  }

  /** Opens the state folder and adopts every instance recorded there that still runs. */
  static async open(options: ServiceManagerOptions): Promise<ServiceManager> {
    const m = new ServiceManager(options);
    const state = m.#store.load();
    await Promise.all(Object.values(state.stacks).map((s) => m.#restore(s)));
    m.#scheduleSave();
    return m;
  }

  async #restore(persisted: PersistedStack): Promise<void> {
    const rt = this.#runtime(persisted.spec);
    const desired = new Set(persisted.desired);
    await Promise.all(
      [...rt.services.values()].map(async (svc) => {
        svc.desired = desired.has(svc.spec.name);
        // In place: the instances hold this very object.
        Object.assign(svc.counters, persisted.counters?.[svc.spec.name]);
        const saved = persisted.instances[svc.spec.name] ?? [];
        await Promise.all(
          svc.instances.map((inst) => {
            const p = saved.find((s) => s.index === inst.ctx.index);
            return p === undefined ? undefined : inst.adopt(p, svc.desired);
          }),
        );
      }),
    );
  }

  #runtime(spec: StackSpec): StackRuntime {
    startOrder(spec.services);
    let rt = this.#stacks.get(spec.name);
    if (rt === undefined) {
      rt = { spec, services: new Map() };
      this.#stacks.set(spec.name, rt);
    }
    rt.spec = spec;
    for (const s of spec.services) {
      let svc = rt.services.get(s.name);
      if (svc === undefined) {
        svc = {
          spec: s,
          instances: [],
          counters: { restarts: 0, spawned: 0, terminated: 0, breakerTrips: 0 },
          desired: false,
        };
        rt.services.set(s.name, svc);
      }
      const running = svc.instances.some((i) => i.active);
      if (!running && svc.spec !== s) {
        // A stopped service takes the new spec (and its executor) at its next start.
        const executor = this.#executorFor(s);
        svc.spec = s;
        for (const inst of svc.instances) {
          inst.ctx.spec = s;
          inst.ctx.executor = executor;
        }
      }
      while (svc.instances.length < svc.spec.replicas)
        svc.instances.push(this.#instance(spec.name, svc, svc.instances.length));
    }
    return rt;
  }

  #instance(stack: string, svc: ServiceRuntime, index: number): Instance {
    const events = this.events;
    return new Instance({
      stack,
      index,
      spec: svc.spec,
      executor: this.#executorFor(svc.spec),
      launcher: this.#launcher,
      logs: this.#logs,
      counters: svc.counters,
      random: this.#random,
      stopProgressIntervalMs: this.#stopProgressIntervalMs,
      emit: (body) =>
        events.push({
          ...body,
          time: Date.now(),
          stack,
          service: svc.spec.name,
          instance: index,
        } as ManagerEvent),
      changed: () => {
        this.#changes.emit('change');
        this.#scheduleSave();
      },
    });
  }

  #executorFor(spec: ServiceSpec): ServiceExecutor {
    const e = this.#executors.get(spec.target.kind);
    if (e === undefined) {
      throw new OrchestrationError(
        'INVALID_SPEC',
        `service ${spec.name}: no executor runs ${spec.target.kind} targets${this.#hint([...this.#executors.keys()])}`,
      );
    }
    return e;
  }

  #stack(name: string): StackRuntime {
    const rt = this.#stacks.get(name);
    if (rt === undefined) {
      throw new OrchestrationError(
        'UNKNOWN_STACK',
        `no stack named ${name}${this.#hint([...this.#stacks.keys()])}`,
      );
    }
    return rt;
  }

  #service(rt: StackRuntime, name: string): ServiceRuntime {
    const svc = rt.services.get(name);
    if (svc === undefined) {
      throw new OrchestrationError('UNKNOWN_SERVICE', `no service named ${name} in stack ${rt.spec.name}`);
    }
    return svc;
  }

  #hint(names: string[]): string {
    return names.length === 0 ? '' : ` (known: ${names.join(', ')})`;
  }

  /**
   * Starts a stack, or the named services and their dependencies, in dependency order:
   * independent services in parallel, each dependent once its dependencies meet their
   * condition. Resolves when every service is running (healthy when it has a readiness probe),
   * completed, or failed — or held back by a failed dependency. Services already up are left as
   * they are, so a second `up` changes nothing.
   */
  async up(stack: StackSpec, services?: readonly string[]): Promise<UpOutcome> {
    this.#open();
    for (const s of stack.services) checkServiceSpec(s);
    const rt = this.#runtime(stack);
    const targets =
      services === undefined || services.length === 0
        ? stack.services.filter((s) => !s.disabled).map((s) => s.name)
        : [...withDependencies(stack.services, services)];
    for (const name of targets) this.#service(rt, name).desired = true;
    this.#scheduleSave();
    const results = await Promise.all(targets.map((name) => this.#bringUp(rt, name)));
    // Report the states as they are once everything settled (a one-shot may have completed since).
    const outcome = results.map((r) => {
      const now = this.#service(rt, r.service).instances[0]?.status;
      const state = now?.state ?? r.state;
      return state === 'failed'
        ? { ...r, ok: false, state, reason: now?.reason ?? 'failed' }
        : { ...r, state };
    });
    return { ok: outcome.every((r) => r.ok), services: outcome };
  }

  async #bringUp(rt: StackRuntime, name: string): Promise<UpOutcome['services'][number]> {
    const svc = this.#service(rt, name);
    if (!svc.instances.some((i) => i.active)) {
      const deps = Object.entries(svc.spec.dependsOn);
      if (deps.length > 0) {
        const waitingOn = deps.map(([d, c]) => `${d} (${c})`).join(', ');
        for (const i of svc.instances) i.hold('waiting', `waiting for ${waitingOn}`);
        for (const [dep, cond] of deps) {
          const r = await this.#until(() => this.#condition(rt, dep, cond));
          if (!r.ok) {
            const reason = `dependency ${dep} ${r.reason}`;
            for (const i of svc.instances) i.hold('stopped', reason);
            return { service: name, ok: false, state: 'stopped', reason };
          }
        }
      }
      if (!svc.desired)
        return { service: name, ok: false, state: 'stopped', reason: 'stopped while waiting' };
      await Promise.all(svc.instances.map((i) => i.start()));
    }
    const settled = await this.#until(() => this.#settled(svc));
    const first = svc.instances[0]?.status;
    return {
      service: name,
      ok: settled.ok,
      state: first?.state ?? 'stopped',
      ...(settled.ok ? {} : { reason: settled.reason }),
    };
  }

  /** Whether a dependency meets a condition: a result when decided, undefined while pending. */
  #condition(
    rt: StackRuntime,
    dep: string,
    cond: DependencyCondition,
  ): { ok: boolean; reason: string } | undefined {
    const svc = this.#service(rt, dep);
    const failed = svc.instances.find((i) => i.status.state === 'failed');
    if (failed !== undefined) return { ok: false, reason: `failed: ${failed.status.reason ?? 'unknown'}` };
    const held = svc.instances.find((i) => i.status.state === 'stopped' && i.status.reason !== undefined);
    if (held !== undefined && !held.active)
      return { ok: false, reason: `was not started: ${held.status.reason}` };
    const all = (f: (i: Instance) => boolean): boolean => svc.instances.every(f);
    switch (cond) {
      case 'started':
        return all((i) => i.started) ? { ok: true, reason: 'started' } : undefined;
      case 'healthy':
        return all((i) => i.ready || i.completed) ? { ok: true, reason: 'healthy' } : undefined;
      case 'completed':
        return all((i) => i.completed) ? { ok: true, reason: 'completed' } : undefined;
    }
  }

  #settled(svc: ServiceRuntime): { ok: boolean; reason: string } | undefined {
    const failed = svc.instances.find((i) => i.status.state === 'failed');
    if (failed !== undefined) return { ok: false, reason: failed.status.reason ?? 'failed' };
    if (!svc.desired) return { ok: false, reason: 'stopped' };
    return svc.instances.every((i) => i.ready || i.completed) ? { ok: true, reason: 'up' } : undefined;
  }

  /** Resolves with `check()`'s first defined result, re-checked on every change (no polling). */
  #until<T>(check: () => T | undefined): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const listener = (): void => {
        const r = check();
        if (r === undefined) return;
        this.#changes.off('change', listener);
        resolve(r);
      };
      this.#changes.on('change', listener);
    });
  }

  /** Stops a whole stack in reverse dependency order; resolves when every process is gone. */
  async down(stackName: string): Promise<void> {
    const rt = this.#stack(stackName);
    for (const svc of rt.services.values()) svc.desired = false;
    this.#changes.emit('change');
    await this.#stopServices(rt, [...rt.services.keys()]);
    this.#stacks.delete(stackName);
    this.#scheduleSave();
  }

  async #stopServices(rt: StackRuntime, names: readonly string[]): Promise<void> {
    const stopping = new Map<string, Promise<void>>();
    const chosen = new Set(names);
    const stopOne = (name: string): Promise<void> => {
      let p = stopping.get(name);
      if (p === undefined) {
        const dependents = [...rt.services.values()].filter(
          (s) => name in s.spec.dependsOn && chosen.has(s.spec.name),
        );
        p = Promise.all(dependents.map((d) => stopOne(d.spec.name))).then(async () => {
          await Promise.all(this.#service(rt, name).instances.map((i) => i.stop()));
        });
        stopping.set(name, p);
      }
      return p;
    };
    await Promise.all(names.map(stopOne));
  }

  /** Starts one service (and what it depends on). */
  async start(stackName: string, service: string): Promise<UpOutcome> {
    const rt = this.#stack(stackName);
    this.#service(rt, service);
    return this.up(rt.spec, [service]);
  }

  /** Stops one service; resolves when its processes are gone. */
  async stop(stackName: string, service: string): Promise<void> {
    const rt = this.#stack(stackName);
    const svc = this.#service(rt, service);
    svc.desired = false;
    this.#changes.emit('change');
    await this.#stopServices(rt, [service]);
    this.#scheduleSave();
  }

  /** Stops then starts one service. */
  async restart(stackName: string, service: string): Promise<UpOutcome> {
    await this.stop(stackName, service);
    return this.start(stackName, service);
  }

  /** Names of the stacks it knows. */
  stacks(): string[] {
    return [...this.#stacks.keys()];
  }

  /** The spec of a stack it runs. */
  spec(stackName: string): StackSpec {
    return this.#stack(stackName).spec;
  }

  /** One row per instance of every service (of one stack, when named). */
  status(stackName?: string): InstanceInfo[] {
    const stacks = stackName === undefined ? [...this.#stacks.values()] : [this.#stack(stackName)];
    const now = Date.now();
    const rows: InstanceInfo[] = [];
    for (const rt of stacks) {
      for (const svc of rt.services.values()) {
        for (const i of svc.instances) {
          const live = i.pid !== undefined;
          const st = i.status.state;
          rows.push({
            ...i.status,
            stack: rt.spec.name,
            service: svc.spec.name,
            instance: i.ctx.index,
            health:
              svc.spec.readiness === undefined
                ? 'none'
                : st === 'healthy'
                  ? 'healthy'
                  : st === 'unhealthy'
                    ? 'unhealthy'
                    : live
                      ? 'starting'
                      : 'none',
            pid: i.pid,
            startTime: i.startTime,
            restarts: i.history.restarts,
            startedAt: live ? i.startedAt : undefined,
            uptimeMs: live && i.startedAt !== undefined ? now - i.startedAt : undefined,
            ports: svc.spec.ports,
            counters: { ...svc.counters },
          });
        }
      }
    }
    return rows;
  }

  /** Lines of a service's log (or every service's): the last `tail`, then new ones with `follow`. */
  logs(
    stackName: string,
    service: string | undefined,
    options: LogsOptions = {},
  ): AsyncIterable<StampedLogLine> {
    const rt = this.#stack(stackName);
    const services = service === undefined ? [...rt.services.values()] : [this.#service(rt, service)];
    const files = services.flatMap((svc) =>
      svc.instances.map((i) => ({
        service: svc.spec.name,
        instance: i.ctx.index,
        file: this.#logs.file(stackName, svc.spec.name, i.ctx.index),
      })),
    );
    return readLogs(this.#logs, files, options);
  }

  /**
   * Resolves once the state as it is now is on disk. Saves are otherwise made on their own
   * after each change, coalesced and off the event loop.
   */
  async flush(): Promise<void> {
    this.#dirty = true;
    await this.#drain();
  }

  #snapshot(): PersistedState {
    const stacks: Record<string, PersistedStack> = {};
    for (const [name, rt] of this.#stacks) {
      const instances: Record<string, ReturnType<Instance['persisted']>[]> = {};
      const counters: Record<string, ServiceCounters> = {};
      const desired: string[] = [];
      for (const [svcName, svc] of rt.services) {
        instances[svcName] = svc.instances.map((i) => i.persisted());
        counters[svcName] = { ...svc.counters };
        if (svc.desired) desired.push(svcName);
      }
      stacks[name] = { spec: rt.spec, desired, instances, counters };
    }
    return { version: 1, stacks };
  }

  /**
   * The part of the state worth an fsync: which stacks and services are wanted, and their specs.
   * Pids and offsets change with every restart and mean nothing after the machine went down,
   * so a change of only those is written without one.
   */
  #durable(state: PersistedState): string {
    return Object.entries(state.stacks)
      .map(([name, s]) => {
        let id = this.#specIds.get(s.spec);
        if (id === undefined) {
          id = ++this.#specCounter;
          this.#specIds.set(s.spec, id);
        }
        return `${name}\0${id}\0${s.desired.join('\0')}`;
      })
      .join('\n');
  }

  /** Writes until nothing is left unsaved; one write at a time. */
  #drain(): Promise<void> {
    this.#writing ??= (async () => {
      try {
        while (this.#dirty) {
          this.#dirty = false;
          const state = this.#snapshot();
          const key = this.#durable(state);
          const durable = key !== this.#durableKey;
          await this.#store.write(state, durable);
          if (durable) this.#durableKey = key;
        }
      } finally {
        this.#writing = undefined;
      }
    })();
    return this.#writing;
  }

  #scheduleSave(): void {
    this.#dirty = true;
    if (this.#saveScheduled || this.#closed) return;
    this.#saveScheduled = true;
    setImmediate(() => {
      this.#saveScheduled = false;
      if (this.#closed || this.#writing !== undefined) return; // an in-flight write loops on #dirty
      this.#drain().catch((e: unknown) => {
        process.emitWarning(`cannot save the state in ${this.#store.file}: ${(e as Error).message}`, {
          code: 'HARNESS_STATE_WRITE',
        });
      });
    });
  }

  #open(): void {
    if (this.#closed) throw new OrchestrationError('CLOSED', 'the service manager is closed');
  }

  /**
   * Lets go of everything without stopping it: state written, probes and followers stopped,
   * processes left running for the next manager to adopt.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    const all = [...this.#stacks.values()].flatMap((rt) =>
      [...rt.services.values()].flatMap((s) => s.instances),
    );
    await Promise.all(all.map((i) => i.detach()));
    this.events.close();
  }
}
