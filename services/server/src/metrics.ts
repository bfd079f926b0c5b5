import type { WorkerApi } from '@harness/protocol';
import type { InstanceInfo, StateName } from '@harness/service-orchestration';
import { readdirSync } from 'node:fs';
import { Counter, Gauge, Registry } from 'prom-client';

/** Every state a `harness_service_state` series exists for. */
const STATES: readonly StateName[] = [
  'stopped',
  'waiting',
  'starting',
  'running',
  'healthy',
  'unhealthy',
  'stopping',
  'exited',
  'backoff',
  'failed',
];

type Labels = 'stack' | 'service';

/** The rows of each service, in status order. */
function byService(rows: readonly InstanceInfo[]): InstanceInfo[][] {
  const groups = new Map<string, InstanceInfo[]>();
  for (const r of rows) {
    const key = `${r.stack}\0${r.service}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [r]);
    else g.push(r);
  }
  return [...groups.values()];
}

/**
 * A Prometheus registry (its own, not prom-client's global one) whose service metrics are read
 * from `worker.status()` when scraped — no timer runs between scrapes — plus prom-client's
 * the daemon's own process metrics, also read when scraped. Per service (label `stack`, `service`):
 *
 * - `harness_service_up` 1 when a process of the service runs, else 0;
 * - `harness_service_restarts_total`, `harness_service_spawned_total`,
 *   `harness_service_terminated_total`, `harness_service_breaker_trips_total` from its counters;
 * - `harness_service_uptime_seconds` of its longest-running instance (0 when none runs);
 * - `harness_service_state{state}` how many of its instances are in each state (1 for the
 *   current state of a single-instance service, 0 for the others);
 *
 * and `harness_stacks`, the number of stacks.
 *
 * @example
 * const registry = serviceMetrics(worker);
 * res.setHeader('content-type', registry.contentType).end(await registry.metrics());
 */
export function serviceMetrics(worker: WorkerApi): Registry {
  const registry = new Registry();
  processMetrics(registry);
  const labelNames = ['stack', 'service'] as const;
  // One status read per scrape, shared by every metric's collect (the worker may be remote).
  let scrape: Promise<{ rows: InstanceInfo[]; stacks: number }> | undefined;
  const snapshot = (): Promise<{ rows: InstanceInfo[]; stacks: number }> => {
    scrape ??= (async () => {
      const [rows, stacks] = await Promise.all([worker.status(), worker.stacks()]);
      return { rows, stacks: stacks.length };
    })().finally(() => setImmediate(() => (scrape = undefined)));
    return scrape;
  };
  const each = async (set: (labels: Record<Labels, string>, rows: InstanceInfo[]) => void): Promise<void> => {
    for (const rows of byService((await snapshot()).rows)) {
      const first = rows[0];
      if (first !== undefined) set({ stack: first.stack, service: first.service }, rows);
    }
  };
  new Gauge<Labels>({
    name: 'harness_service_up',
    help: 'Whether a process of the service runs (1) or not (0).',
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      await each((l, rows) => this.set(l, rows.some((r) => r.pid !== undefined) ? 1 : 0));
    },
  });
  const counters = [
    ['restarts', 'Restarts of the service by its restart policy.'],
    ['spawned', 'Processes launched for the service (adopted ones not counted).'],
    ['terminated', 'Processes of the service that ended.'],
    ['breaker_trips', 'Times the circuit breaker of the service tripped.'],
  ] as const;
  for (const [name, help] of counters) {
    const field = name === 'breaker_trips' ? 'breakerTrips' : name;
    new Counter<Labels>({
      name: `harness_service_${name}_total`,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        await each((l, rows) => this.inc(l, rows[0]?.counters[field] ?? 0));
      },
    });
  }
  new Gauge<Labels>({
    name: 'harness_service_uptime_seconds',
    help: 'Seconds the longest-running instance of the service has run (0 when none runs).',
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      await each((l, rows) => this.set(l, Math.max(0, ...rows.map((r) => r.uptimeMs ?? 0)) / 1000));
    },
  });
  new Gauge<Labels | 'state'>({
    name: 'harness_service_state',
    help: 'Instances of the service in each lifecycle state.',
    labelNames: [...labelNames, 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await each((l, rows) => {
        for (const state of STATES) this.set({ ...l, state }, rows.filter((r) => r.state === state).length);
      });
    },
  });
  new Gauge({
    name: 'harness_stacks',
    help: 'Stacks the worker knows.',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).stacks);
    },
  });
  return registry;
}

/**
 * The daemon's own process metrics, with prom-client's default names, read when scraped.
 * prom-client's `collectDefaultMetrics` is not used: its event-loop-lag histogram runs a 10 ms
 * timer for the life of the process, which would wake an idle daemon 100 times a second.
 */
function processMetrics(registry: Registry): void {
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  const counter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  const cpu = (which: 'user' | 'system'): number => process.cpuUsage()[which] / 1e6;
  counter('process_cpu_user_seconds_total', 'User CPU time spent in seconds.', () => cpu('user'));
  counter('process_cpu_system_seconds_total', 'System CPU time spent in seconds.', () => cpu('system'));
  counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  });
  const startedAt = Date.now() / 1000 - process.uptime();
  gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', () =>
    Math.round(startedAt),
  );
  gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
  gauge(
    'nodejs_heap_size_total_bytes',
    'Process heap size from Node.js in bytes.',
    () => process.memoryUsage().heapTotal,
  );
  gauge(
    'nodejs_heap_size_used_bytes',
    'Process heap size used from Node.js in bytes.',
    () => process.memoryUsage().heapUsed,
  );
  gauge(
    'nodejs_external_memory_bytes',
    'Node.js external memory size in bytes.',
    () => process.memoryUsage().external,
  );
  gauge('process_open_fds', 'Number of open file descriptors.', () => {
    try {
      return readdirSync('/proc/self/fd').length;
    } catch {
      return 0;
    }
  });
}
