import type { LocalLauncher, ProcStat } from '@harness/command-executor';
import type { InstanceStatus, ManagerEvent, ServiceCounters } from './events.js';
import type { RunningInstance, ServiceExecutor } from './executor.js';
import { HealthMonitor } from './health-monitor.js';
import type { LogStore } from './log-store.js';
import { decideRestart, describeEnd, type RunHistory } from './restart-policy.js';
import type { ServiceSpec } from './spec.js';
import type { PersistedInstance } from './state-store.js';

type EventBody<T> = T extends ManagerEvent ? Omit<T, 'time' | 'stack' | 'service' | 'instance'> : never;

/** What an instance needs from its manager. */
export interface InstanceContext {
  readonly stack: string;
  readonly index: number;
  spec: ServiceSpec;
  executor: ServiceExecutor;
  readonly launcher: LocalLauncher;
  readonly logs: LogStore;
  readonly counters: ServiceCounters;
  readonly random: () => number;
  /** Milliseconds between `stop-waiting` events of a stop that waits. */
  readonly stopProgressIntervalMs: number;
  emit(event: EventBody<ManagerEvent>): void;
  /** Something changed: persist and re-check what waits on it. */
  changed(): void;
}

/**
 * One replica of a service and its supervision: launch, health, exit, restart by policy with
 * backoff, stop. Its state machine: stopped → waiting → starting → running → healthy | unhealthy
 * → stopping → stopped, plus exited, backoff and failed.
 */
export class Instance {
  readonly ctx: InstanceContext;
  status: InstanceStatus = { state: 'stopped' };
  /** Readiness passed in the current run (or the run has no readiness probe). */
  ready = false;
  /** Launched since the service was last asked to start. */
  started = false;
  /** Ended with success and will not run again (a one-shot that completed). */
  completed = false;
  startedAt: number | undefined;
  history: RunHistory = { restarts: 0, failures: [] };
  #running: RunningInstance | undefined;
  #health: HealthMonitor | undefined;
  #backoff: NodeJS.Timeout | undefined;
  #wantUp = false;
  #unhealthyStop = false;
  #generation = 0;
  #exitHandled: Promise<void> = Promise.resolve();
  #stopping: { running: RunningInstance; done: Promise<void> } | undefined;
  /** Ends the rotation guard of the running instance's log file. */
  #unguard: () => void = () => {};

  constructor(ctx: InstanceContext) {
    this.ctx = ctx;
  }

  get pid(): number | undefined {
    return this.#running?.pid;
  }

  /** The running process's start time (clock ticks after boot), with `pid` its identity. */
  get startTime(): number | undefined {
    return this.#running?.startTime;
  }

  /** Whether it runs, or is about to (starting, or in backoff before a restart). */
  get active(): boolean {
    return this.#running !== undefined || this.#backoff !== undefined || this.status.state === 'starting';
  }

  processes(): ProcStat[] {
    return this.#running?.processes() ?? [];
  }

  /** Sets a state and reports it. */
  set(status: InstanceStatus): void {
    const previous = this.status.state;
    this.status = status;
    this.ctx.emit({ type: 'state', previous, ...status });
    this.ctx.changed();
  }

  /** Launches it now (if it is not running already). */
  async start(): Promise<void> {
    this.#wantUp = true;
    this.#clearBackoff();
    if (this.#running !== undefined || this.status.state === 'starting') return;
    this.completed = false;
    this.set({ state: 'starting' });
    let running: RunningInstance;
    try {
      running = await this.ctx.executor.start({
        stack: this.ctx.stack,
        spec: this.ctx.spec,
        index: this.ctx.index,
        logFile: this.ctx.logs.file(this.ctx.stack, this.ctx.spec.name, this.ctx.index),
      });
    } catch (e) {
      this.set({ state: 'failed', reason: (e as Error).message });
      return;
    }
    if (!this.#wantUp) {
      // stopped while it was starting
      await running.stop({
        signal: this.ctx.spec.shutdown.signal,
        timeout: this.ctx.spec.shutdown.timeoutMs,
      });
      this.set({ state: 'stopped' });
      return;
    }
    this.#attach(running, Date.now());
  }

  /** Takes over a recorded instance after a supervisor restart, or handles its end meanwhile. */
  async adopt(persisted: PersistedInstance, wantUp: boolean): Promise<void> {
    this.history = persisted.history;
    this.#wantUp = wantUp;
    const record = persisted.record;
    if (record === undefined) return;
    const running = await this.ctx.executor.adopt(record);
    if (running !== undefined) {
      this.#attach(running, record.startedAt);
      return;
    }
    if (!wantUp) return;
    this.started = true;
    this.startedAt = record.startedAt;
    this.#handleExit({ code: null, signal: null }, record.startedAt);
  }

  #attach(running: RunningInstance, startedAt: number): void {
    this.#running = running;
    this.startedAt = startedAt;
    this.started = true;
    this.ready = false;
    const generation = ++this.#generation;
    if (!running.adopted) this.ctx.counters.spawned++;
    this.ctx.emit({ type: 'spawned', pid: running.pid, adopted: running.adopted });
    this.set({ state: 'running' });
    const { readiness, liveness } = this.ctx.spec;
    const health = new HealthMonitor({
      readiness,
      liveness,
      launcher: this.ctx.launcher,
      output: running.events,
      startedAt,
      callbacks: {
        onResult: (probe, r) =>
          this.ctx.emit({ type: 'health', probe, ok: r.ok, message: r.message, durationMs: r.durationMs }),
        onReady: () => {
          this.ready = true;
          if (this.#running === running) this.set({ state: 'healthy' });
        },
        onUnready: (reason) => {
          this.ready = false;
          if (this.#running === running) this.set({ state: 'unhealthy', reason });
        },
        onLivenessFailed: (reason) => {
          if (this.#running !== running) return;
          this.#unhealthyStop = true;
          this.set({ state: 'unhealthy', reason: `liveness: ${reason}` });
          void this.#stopRunning(running);
        },
      },
    });
    this.#health = health;
    if (readiness === undefined) {
      this.ready = true;
      this.ctx.changed();
    }
    this.#unguard();
    this.#unguard = this.ctx.logs.guard(running.record().logFile, this.ctx.spec.logs);
    health.start();
    this.#exitHandled = running.wait().then(async (status) => {
      if (generation !== this.#generation) return;
      // The main process ended: what it left behind in its tree goes too (signal, deadline,
      // SIGKILL) before anything is decided, so a restart never runs beside an orphan.
      await this.#stopRunning(running).catch(() => undefined);
      if (generation === this.#generation) this.#onExit(status);
    });
  }

  #onExit(status: { code: number | null; signal: NodeJS.Signals | null }): void {
    const startedAt = this.startedAt ?? Date.now();
    this.#health?.stop();
    this.#health = undefined;
    this.#unguard();
    this.#running = undefined;
    this.ready = false;
    this.ctx.counters.terminated++;
    this.#handleExit(status, startedAt);
  }

  #handleExit(status: { code: number | null; signal: NodeJS.Signals | null }, startedAt: number): void {
    const now = Date.now();
    const ranMs = now - startedAt;
    this.ctx.emit({ type: 'exit', code: status.code, signal: status.signal, ranMs });
    if (!this.#wantUp) {
      this.set({ state: 'stopped' });
      return;
    }
    const unhealthy = this.#unhealthyStop;
    this.#unhealthyStop = false;
    const end = { ...status, ranMs, unhealthy };
    const decision = decideRestart(this.ctx.spec.restart, this.history, end, now, this.ctx.random());
    this.history = decision.history;
    this.set({ state: 'exited', code: status.code, signal: status.signal, reason: describeEnd(end) });
    switch (decision.action) {
      case 'restart': {
        this.ctx.counters.restarts++;
        const until = now + decision.delayMs;
        this.ctx.emit({
          type: 'restart',
          attempt: decision.history.restarts,
          delayMs: decision.delayMs,
          reason: describeEnd(end),
        });
        if (decision.delayMs <= 0) {
          // No backoff: respawn now, before anything else (the state is saved after).
          void this.start();
          return;
        }
        this.#backoff = setTimeout(() => {
          this.#backoff = undefined;
          if (this.#wantUp) void this.start();
        }, decision.delayMs);
        this.set({ state: 'backoff', until, reason: describeEnd(end) });
        return;
      }
      case 'complete':
        this.completed = true;
        this.ctx.changed();
        return;
      case 'fail':
        if (decision.breakerTripped) this.ctx.counters.breakerTrips++;
        this.set({ state: 'failed', reason: decision.reason });
        return;
    }
  }

  /** Stops it (and any pending restart); resolves when every process of it is gone. */
  async stop(): Promise<void> {
    this.#wantUp = false;
    this.started = false;
    this.completed = false;
    this.#clearBackoff();
    const running = this.#running;
    if (running === undefined) {
      if (this.status.state !== 'stopped' && this.status.state !== 'starting') this.set({ state: 'stopped' });
      return;
    }
    this.set({ state: 'stopping' });
    await this.#stopRunning(running);
    await this.#exitHandled;
  }

  /**
   * Stops a run's whole tree, once: a second caller (the user's stop while a liveness restart
   * or the clean-up after the main process's exit is under way) shares the stop in flight
   * rather than racing it.
   */
  #stopRunning(running: RunningInstance): Promise<void> {
    if (this.#stopping?.running === running) return this.#stopping.done;
    const done = running.stop({
      signal: this.ctx.spec.shutdown.signal,
      timeout: this.ctx.spec.shutdown.timeoutMs,
      progressInterval: this.ctx.stopProgressIntervalMs,
      onWaiting: (procs) =>
        this.ctx.emit({ type: 'stop-waiting', processes: procs.map((p) => ({ pid: p.pid, comm: p.comm })) }),
    });
    this.#stopping = { running, done };
    return done;
  }

  /** Marks it as held back (waiting on dependencies, or one of them failed). */
  hold(state: 'waiting' | 'stopped', reason: string): void {
    if (this.#running === undefined) this.set({ state, reason });
  }

  /** What to persist. */
  persisted(): PersistedInstance {
    return { index: this.ctx.index, record: this.#running?.record(), history: this.history };
  }

  /** Stops supervising without touching the process (for a supervisor that is going away). */
  async detach(): Promise<void> {
    this.#clearBackoff();
    this.#health?.stop();
    this.#unguard();
    this.#generation++;
    await this.#running?.detach();
  }

  #clearBackoff(): void {
    if (this.#backoff !== undefined) clearTimeout(this.#backoff);
    this.#backoff = undefined;
  }
}
