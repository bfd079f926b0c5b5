/**
 * Every default of harness.yaml in one place; the resolver fills them in, the JSON Schema and
 * docs/config.md show them.
 */
export const DEFAULTS = {
  host: { port: 22, network: 'lan' },
  readiness: { intervalMs: 1000, retries: 30, startPeriodMs: 0 },
  liveness: { intervalMs: 10_000, retries: 3, startPeriodMs: 0 },
  /** Probe timeouts by kind (a `log` probe has no timeout of its own). */
  probeTimeoutMs: { exec: 5000, http: 2000, tcp: 1000, log: 0 },
  restart: {
    policy: 'on-failure',
    maxRestarts: 10,
    backoff: { initialMs: 100, maxMs: 30_000, factor: 2, jitter: 0.2 },
    resetAfterMs: 60_000,
  },
  shutdown: { signal: 'SIGTERM', timeoutMs: 10_000 },
  replicas: 1,
  /** Log rotation: at 10 MiB, three rotated files kept (`maxBytes: 0` is no rotation). */
  logs: { maxBytes: 10 * 1024 * 1024, keep: 3 },
  dependencyCondition: 'started',
} as const;
