import type { InstanceInfo, ServiceManager } from '@harness/service-orchestration';
import type { RecordOp, ServiceRegistration, ServiceRegistry, ServiceState } from '@harness/service-registry';

/** What the sync reads of the service manager. */
export type ManagerView = Pick<ServiceManager, 'stacks' | 'status'>;

/**
 * Keeps the registry's records of this host in step with the service manager: one record per
 * instance of every stack the manager runs, rewritten when its status changes, removed when its
 * stack goes down. Changes are coalesced: the stacks marked while a pass runs wait for the next
 * one, latest state wins, and each pass writes everything it changes — every record that differs
 * from what was last written, every removal, across all its stacks — as ONE registry batch (one
 * store revision), so a stack of 100 instances coming up or going down costs a few revisions, not
 * 100.
 */
export class RegistrySync {
  readonly #manager: ManagerView;
  readonly #registry: ServiceRegistry;
  readonly #host: string;
  /** What was last written per key (JSON), to skip writes that change nothing. */
  readonly #written = new Map<string, string>();
  /** The stacks marked since the last pass began. */
  readonly #dirty = new Set<string>();
  readonly #onError: (error: unknown) => void;
  #running: Promise<void> | undefined;

  /** `onError` hears of every write that failed (the worker's run rejects with the first). */
  constructor(
    manager: ManagerView,
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
    while (this.#dirty.size > 0) {
      const stacks = [...this.#dirty];
      this.#dirty.clear();
      try {
        await this.#sync(stacks);
      } catch (e) {
        this.#onError(e);
      }
    }
  }

  /** One pass: the changed records and the removals of `stacks`, written as one batch. */
  async #sync(stacks: readonly string[]): Promise<void> {
    const running = new Set(this.#manager.stacks());
    const ops: RecordOp[] = [];
    /** What `#written` becomes once the batch is in: the JSON written, or `undefined` for a removal. */
    const next: Array<[string, string | undefined]> = [];
    for (const stack of stacks) {
      const keep = new Set<string>();
      for (const row of running.has(stack) ? this.#manager.status(stack) : []) {
        const reg = this.#registration(row);
        const key = `${reg.stack}/${reg.service}/${reg.instance}`;
        keep.add(key);
        const json = JSON.stringify(reg);
        if (this.#written.get(key) === json) continue;
        ops.push({ register: reg, replace: true });
        next.push([key, json]);
      }
      for (const key of this.#written.keys()) {
        if (!key.startsWith(`${stack}/`) || keep.has(key)) continue;
        ops.push({ deregister: key });
        next.push([key, undefined]);
      }
    }
    if (ops.length === 0) return;
    await this.#registry.apply(ops);
    for (const [key, json] of next) {
      if (json === undefined) this.#written.delete(key);
      else this.#written.set(key, json);
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
