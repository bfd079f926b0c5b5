import type { InstanceInfo } from '@harness/service-orchestration';

/** The body of `GET /health`. */
export interface HealthReport {
  readonly status: 'ok';
  readonly version: string;
  readonly uptimeMs: number;
  readonly stacks: number;
  /**
   * Instances by state: `running` counts every live process (running, healthy or unhealthy),
   * `healthy` / `unhealthy` / `failed` those states, `stopped` those stopped or exited; the
   * others (waiting, starting, stopping, backoff) only count in `total`.
   */
  readonly services: {
    readonly total: number;
    readonly running: number;
    readonly healthy: number;
    readonly unhealthy: number;
    readonly failed: number;
    readonly stopped: number;
  };
}

/**
 * The health report from status rows: the daemon answers, so `status` is `ok`; the counts say
 * how the services are.
 *
 * @example
 * healthReport(worker.status(), worker.stacks().length, '0.1.0', startedAt, Date.now());
 */
export function healthReport(
  rows: readonly InstanceInfo[],
  stacks: number,
  version: string,
  startedAt: number,
  now: number,
): HealthReport {
  const count = (f: (r: InstanceInfo) => boolean): number => rows.filter(f).length;
  return {
    status: 'ok',
    version,
    uptimeMs: Math.max(0, now - startedAt),
    stacks,
    services: {
      total: rows.length,
      running: count((r) => r.state === 'running' || r.state === 'healthy' || r.state === 'unhealthy'),
      healthy: count((r) => r.state === 'healthy'),
      unhealthy: count((r) => r.state === 'unhealthy'),
      failed: count((r) => r.state === 'failed'),
      stopped: count((r) => r.state === 'stopped' || r.state === 'exited'),
    },
  };
}
