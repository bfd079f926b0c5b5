import { OrchestrationError } from './errors.js';
import type { LogLimits } from './log-store.js';

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

/** A port a container publishes: `[hostIp:][hostPort:]containerPort[/protocol]`. */
export interface DockerPort {
  /** Host address to bind; undefined for every address. */
  readonly hostIp?: string | undefined;
  /** Host port; undefined lets the engine pick one. */
  readonly hostPort?: number | undefined;
  readonly containerPort: number;
  readonly protocol?: 'tcp' | 'udp';
}

/** A mount into a container: a host path (absolute) or a named volume. */
export interface DockerVolume {
  readonly source: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

/**
 * A Docker container, run with the `docker` client: detached, named
 * `harness.<stack>.<service>.<index>`, labelled with its stack, service and instance.
 */
export interface DockerTarget {
  readonly kind: 'docker';
  readonly image: string;
  /** Overrides the image's command (its entrypoint stays): an argv, or a script for `sh -c`. */
  readonly command?: readonly string[] | { readonly shell: string };
  /** Working folder inside the container (`-w`); default the image's. */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly ports?: readonly DockerPort[];
  readonly volumes?: readonly DockerVolume[];
  /** `--network`; default: the engine's default network. */
  readonly network?: string;
  /** Run an init as PID 1 (`--init`), which forwards signals and reaps zombies (default false). */
  readonly init?: boolean;
  /** The engine to talk to (`docker -H`, as `DOCKER_HOST`); default: the client's default. */
  readonly dockerHost?: string;
}

/** How to reach a host over SSH: everything the `ssh` client is given. */
export interface SshConnection {
  /** IP address or DNS name. */
  readonly address: string;
  /** Default 22. */
  readonly port?: number;
  /** Default: the ssh client's default (the local user name, or its ssh config). */
  readonly user?: string;
  /** Absolute path of the private key. */
  readonly identityFile?: string;
  /**
   * Extra `-o` options, e.g. `{ StrictHostKeyChecking: 'yes', UserKnownHostsFile: '/etc/harness/known_hosts' }`.
   * Without `StrictHostKeyChecking`/`UserKnownHostsFile`, the executor's own known-hosts policy applies.
   */
  readonly options?: Readonly<Record<string, string>>;
  /** Seconds to wait for the connection (default 10). */
  readonly connectTimeoutS?: number;
}

/** A command run on another host over SSH, in its own process group there. */
export interface SshTarget {
  readonly kind: 'ssh';
  /** The host's name (from the configuration's `hosts:`), for messages. */
  readonly host: string;
  readonly connection: SshConnection;
  readonly command: readonly string[] | { readonly shell: string };
  /** Working folder on the host; default the login folder. */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * A package deployed to a host over SSH: copied there once per content hash (a folder, a
 * `.tar`/`.tar.gz`/`.tgz` archive, or a single file), `install` run once per content hash in its
 * folder, then `command` run there like an {@link SshTarget}.
 */
export interface PackageTarget {
  readonly kind: 'package';
  /** The host's name, for messages. */
  readonly host: string;
  readonly connection: SshConnection;
  /** Absolute local path of the package: a folder, an archive, or one file. */
  readonly path: string;
  /** Run once per content hash in the package's folder on the host, before the first start. */
  readonly install?: readonly string[] | { readonly shell: string };
  /** Starts the service (the configuration's `start`). */
  readonly command: readonly string[] | { readonly shell: string };
  /** Working folder, relative to the package's folder on the host (default that folder). */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The folder on the host that holds deployed packages, each in `<name>-<hash>` (default
   * `.harness/packages` in the login folder).
   */
  readonly remoteDir?: string;
}

/** Where a service runs; executors plug in by `kind`. */
export type ServiceTarget = ProcessTarget | DockerTarget | SshTarget | PackageTarget;

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
  /**
   * Rotation of each instance's log file: `{ maxBytes, keep }`, `maxBytes: 0` for none (the
   * file is then not watched at all). Absent: the manager's `logLimits` (default 10 MiB, 3).
   * Like any spec change, new limits apply from the service's next start.
   */
  readonly logs?: LogLimits;
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

/**
 * Checks what the type system cannot of a service's spec: its log limits are whole numbers,
 * `maxBytes` ≥ 0 (0: no rotation) and `keep` ≥ 0. Throws an `INVALID_SPEC` naming the service.
 *
 * @example
 * checkServiceSpec(serviceSpec({ name: 'web', target, logs: { maxBytes: -1, keep: 3 } })); // throws
 */
export function checkServiceSpec(spec: ServiceSpec): void {
  const logs: unknown = spec.logs;
  if (logs === undefined) return;
  const whole = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  const l = logs as Partial<Record<keyof LogLimits, unknown>>;
  if (typeof logs !== 'object' || logs === null || !whole(l.maxBytes) || !whole(l.keep)) {
    throw new OrchestrationError(
      'INVALID_SPEC',
      `service ${spec.name}: logs must be { maxBytes, keep } with whole numbers ≥ 0 (maxBytes 0: no rotation), got ${JSON.stringify(logs)}`,
    );
  }
}
