import type { InstanceInfo, ServiceManager } from '@harness/service-orchestration';
import type { ServiceRegistration, ServiceRegistry, ServiceState } from '@harness/service-registry';

/**
 * Keeps the registry's records of this host in step with the service manager: one record per
 * instance of every stack the manager runs, rewritten when its status changes, removed when its
 * stack goes down. Work is coalesced per stack and done one write at a time, latest state wins,
 * so a burst of events costs one pass.
 */
export class RegistrySync {
  readonly #manager: ServiceManager;
  readonly #registry: ServiceRegistry;
  readonly #host: string;
  /** What was last written per key (JSON), to skip writes that change nothing. */
  readonly #written = new Map<string, string>();
  /** Start times of the pids seen, read once from /proc. */
  readonly #dirty = new Set<string>();
  readonly #onError: (error: unknown) => void;
  #running: Promise<void> | undefined;

  /** `onError` hears of every write that failed (the worker's run rejects with the first). */
  constructor(
    manager: ServiceManager,
    registry: ServiceRegistry,
    host: string,
    onError: (error: unknown) => void,
  ) {
    this.#manager = manager;
    this.#registry = registry;
    this.#host = host;
    this.#onError = onError;
  }

  /** Brings the records of every stack in line: the manager's, and those of this host it no longer runs. */
  async reconcile(): Promise<void> {
    const recorded = await this.#registry.list({ host: this.#host });
    for (const r of recorded) this.#written.set(r.key, '');
    for (const stack of new Set([...recorded.map((r) => r.stack), ...this.#manager.stacks()])) {
      this.touch(stack);
    }
    await this.idle();
  }

  /** Marks a stack as changed; its records are rewritten soon. */
  touch(stack: string): void {
    this.#dirty.add(stack);
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  /** Resolves once every change marked so far is written. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    // Let the events of one step pile up before the first pass.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const stack of this.#dirty) {
      this.#dirty.delete(stack);
      try {
        await this.#sync(stack);
      } catch (e) {
        this.#onError(e);
      }
    }
  }

  async #sync(stack: string): Promise<void> {
    const rows = this.#manager.stacks().includes(stack) ? this.#manager.status(stack) : [];
    const keep = new Set<string>();
    for (const row of rows) {
      const reg = this.#registration(row);
      const key = `${reg.stack}/${reg.service}/${reg.instance}`;
      keep.add(key);
      const json = JSON.stringify(reg);
      if (this.#written.get(key) === json) continue;
      await this.#registry.register(reg, { replace: true });
      this.#written.set(key, json);
    }
    for (const key of [...this.#written.keys()]) {
      if (!key.startsWith(`${stack}/`) || keep.has(key)) continue;
      await this.#registry.deregister(key);
      this.#written.delete(key);
    }
  }

  #registration(row: InstanceInfo): ServiceRegistration {
    const { startTime } = row;
    const { state, reason } = registryState(row);
    return {
      stack: row.stack,
      service: row.service,
      instance: row.instance,
      host: this.#host,
      ...(row.pid !== undefined && startTime !== undefined
        ? { target: { kind: 'process' as const, pid: row.pid, startTime } }
        : {}),
      endpoints: Object.entries(row.ports).map(([name, port]) => ({ name, port })),
      state,
      health: {
        status: row.health === 'healthy' ? 'passing' : row.health === 'unhealthy' ? 'failing' : 'unknown',
      },
      restarts: row.restarts,
      ...(row.startedAt === undefined ? {} : { startedAt: new Date(row.startedAt).toISOString() }),
      ...(reason === undefined ? {} : { reason }),
      ...(row.state === 'exited' || row.state === 'failed'
        ? { exit: { code: row.code ?? null, ...(row.signal ? { signal: row.signal } : {}) } }
        : {}),
      ...(row.state === 'backoff' && row.until !== undefined
        ? { nextAttemptAt: new Date(row.until).toISOString() }
        : {}),
    };
  }
}

/** The registry's state for a manager state; `waiting` (on dependencies) is `stopped` with the reason. */
function registryState(row: InstanceInfo): { state: ServiceState; reason: string | undefined } {
  if (row.state === 'waiting') return { state: 'stopped', reason: row.reason ?? 'waiting for dependencies' };
  return { state: row.state, reason: row.reason };
}
