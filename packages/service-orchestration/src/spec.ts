/**
 * What the orchestration runs: a stack of services, each with its target, dependencies,
 * probes, restart policy and shutdown. These are the orchestration's own types; a caller
 * (the CLI, the daemon) converts its configuration into them. All durations are milliseconds.
 */

/** How a dependent waits on a dependency. */
export type DependencyCondition = 'started' | 'healthy' | 'completed';

/** A local process: an argument vector exec'd directly, or a script run with `sh -c`. */
export interface ProcessTarget {
  readonly kind: 'process';
  readonly command: readonly string[] | { readonly shell: string };
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Where a service runs. Only local processes for now; other executors plug in by `kind`. */
export type ServiceTarget = ProcessTarget;

interface ProbeTiming {
  /** Between probes once the first has passed (readiness) or while live (liveness). */
  readonly intervalMs: number;
  /** A probe that takes longer fails. */
  readonly timeoutMs: number;
  /** Consecutive failures before the probe counts as failed (liveness → restart). */
  readonly retries: number;
  /** Failures in this time after start do not count. */
  readonly startPeriodMs: number;
}

/** A health probe: run a command, GET a URL, connect to a port, or wait for a line of output. */
export type ProbeSpec = ProbeTiming &
  (
    | { readonly kind: 'exec'; readonly command: readonly string[] | { readonly shell: string } }
    | { readonly kind: 'http'; readonly url: string; readonly expectStatus?: readonly number[] }
    | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
    | { readonly kind: 'log'; readonly pattern: string }
  );

/** When a service that ended is started again. */
export type RestartPolicyName = 'always' | 'on-failure' | 'never';

export interface BackoffSpec {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** 0..1: the delay is spread by up to this fraction either way. */
  readonly jitter: number;
}

export interface RestartSpec {
  readonly policy: RestartPolicyName;
  /** Restarts allowed before the service is `failed` (counting since the last reset). */
  readonly maxRestarts: number;
  readonly backoff: BackoffSpec;
  /** A run this long counts as stable: the backoff and the restart count start over. */
  readonly resetAfterMs: number;
  /** The circuit breaker: this many failures within `windowMs` → failed, whatever is left. */
  readonly breaker: { readonly failures: number; readonly windowMs: number };
}

export interface ShutdownSpec {
  readonly signal: NodeJS.Signals;
  readonly timeoutMs: number;
}

/** One service of a stack. */
export interface ServiceSpec {
  readonly name: string;
  readonly target: ServiceTarget;
  readonly dependsOn: Readonly<Record<string, DependencyCondition>>;
  readonly readiness?: ProbeSpec;
  readonly liveness?: ProbeSpec;
  readonly restart: RestartSpec;
  readonly shutdown: ShutdownSpec;
  readonly replicas: number;
  /** Named endpoints (port numbers) this service offers. */
  readonly ports: Readonly<Record<string, number>>;
  readonly disabled: boolean;
  readonly description?: string;
}

/** A stack: services started together, namespaced by `name`. */
export interface StackSpec {
  readonly name: string;
  readonly services: readonly ServiceSpec[];
}

/** Defaults a caller may start from. */
export const DEFAULT_RESTART: RestartSpec = {
  policy: 'on-failure',
  maxRestarts: 10,
  backoff: { initialMs: 100, maxMs: 30_000, factor: 2, jitter: 0.2 },
  resetAfterMs: 60_000,
  breaker: { failures: 20, windowMs: 60_000 },
};

export const DEFAULT_SHUTDOWN: ShutdownSpec = { signal: 'SIGTERM', timeoutMs: 10_000 };

/**
 * A service spec from the few fields that matter, the rest defaulted.
 *
 * @example
 * serviceSpec({ name: 'web', target: { kind: 'process', command: ['node', 'server.js'] } })
 */
export function serviceSpec(
  partial: Pick<ServiceSpec, 'name' | 'target'> &
    Partial<Omit<ServiceSpec, 'restart'>> & {
      restart?: Partial<RestartSpec>;
    },
): ServiceSpec {
  return {
    dependsOn: {},
    replicas: 1,
    ports: {},
    disabled: false,
    shutdown: DEFAULT_SHUTDOWN,
    ...partial,
    restart: { ...DEFAULT_RESTART, ...(partial.restart ?? {}) },
  };
}
