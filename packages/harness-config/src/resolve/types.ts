/**
 * The resolved configuration: what a harness.yaml means, with every default filled in, durations in
 * milliseconds, paths absolute, variables substituted, and service references kept as typed
 * {@link ServiceRef}s. This is what the orchestration layer turns into running services.
 */
import type { PortMapping, VolumeMount } from '../schema/docker-values.js';
import type { ServiceRef, TextValue } from './text.js';

export type { PortMapping, VolumeMount };

/** How a host is reached: this machine, the local network, or a WireGuard peer address. */
export type HostNetwork = 'local' | 'lan' | 'wireguard';

/** A machine services run on (over SSH). */
export interface ResolvedHost {
  readonly name: string;
  readonly address: string;
  /** SSH user; undefined means the SSH default. */
  readonly user: string | undefined;
  /** SSH port (default 22). */
  readonly port: number;
  /** Absolute path of the SSH private key (`~/` expanded), if any. */
  readonly identityFile: string | undefined;
  /** Default `lan`. */
  readonly network: HostNetwork;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * A command: a string runs through `sh -c` (`shell: true`); a list is exec'd directly with no
 * shell (`argv[0]` is the program).
 */
export type ServiceCommand =
  | { readonly shell: true; readonly script: TextValue }
  | { readonly shell: false; readonly argv: readonly TextValue[] };

/** Run a local process. */
export interface ProcessTarget {
  readonly kind: 'process';
  readonly command: ServiceCommand;
  /** Absolute working folder (default: the configuration file's folder). */
  readonly cwd: string;
}

/** Run a Docker container. */
export interface DockerTarget {
  readonly kind: 'docker';
  readonly image: string;
  /** Overrides the image's command; undefined keeps it. */
  readonly command: ServiceCommand | undefined;
  readonly ports: readonly PortMapping[];
  /** Mounts; relative host paths are made absolute. */
  readonly volumes: readonly VolumeMount[];
  readonly network: string | undefined;
}

/** Run a command on a host over SSH. */
export interface SshTarget {
  readonly kind: 'ssh';
  /** A key of {@link ResolvedConfig.hosts}. */
  readonly host: string;
  readonly command: ServiceCommand;
  /** Working folder on the host; undefined is the login folder. */
  readonly cwd: string | undefined;
}

/** Copy a package to a host, install it once, and start it there. */
export interface PackageTarget {
  readonly kind: 'package';
  /** Absolute path of the package (archive or folder). */
  readonly path: string;
  /** A key of {@link ResolvedConfig.hosts}. */
  readonly host: string;
  /** The network used to reach the host (default: the host's own `network`). */
  readonly via: HostNetwork;
  readonly install: ServiceCommand | undefined;
  readonly start: ServiceCommand;
}

/** Where and how a service runs: exactly one per service. */
export type ServiceTarget = ProcessTarget | DockerTarget | SshTarget | PackageTarget;

/** Timing shared by every probe. */
export interface ProbeTiming {
  /** Time between checks; the first check runs at once. Readiness default 1 s, liveness 10 s. */
  readonly intervalMs: number;
  /** How long one check may take: exec 5 s, http 2 s, tcp 1 s by default; 0 for `log`. */
  readonly timeoutMs: number;
  /**
   * Consecutive failed checks, after the start period, that make the service unhealthy.
   * Readiness default 30, liveness default 3.
   */
  readonly retries: number;
  /** Failures during this time after start do not count (default 0). */
  readonly startPeriodMs: number;
}

/**
 * A health check. Readiness decides `healthy` (and gates dependents waiting on `healthy`);
 * liveness runs once the service is ready and restarts it per its {@link RestartSpec} on failure.
 */
export type Probe =
  | (ProbeTiming & { readonly kind: 'exec'; readonly command: ServiceCommand })
  | (ProbeTiming & { readonly kind: 'http'; readonly url: TextValue })
  | (ProbeTiming & { readonly kind: 'tcp'; readonly host: TextValue; readonly port: number | TextValue })
  | (ProbeTiming & {
      readonly kind: 'log';
      /**
       * A regular expression (JavaScript syntax) tested against each output line. Readiness passes
       * at the first match; in liveness each match counts as a failed check.
       */
      readonly pattern: string;
    });

/** What a dependent waits for: the dependency started, passed readiness, or exited with 0. */
export type DependencyCondition = 'started' | 'healthy' | 'completed';

/** One edge of the dependency graph. */
export interface Dependency {
  readonly service: string;
  readonly condition: DependencyCondition;
}

/** When a service that ended is started again. */
export type RestartPolicy = 'always' | 'on-failure' | 'never';

/** Exponential backoff with jitter: delay n = min(max, initial × factor^n) ± jitter. */
export interface BackoffSpec {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** A fraction of the delay, 0 to 1. */
  readonly jitter: number;
}

/** Restart policy (default: on-failure, 10 restarts, 100 ms → 30 s ×2 ±20 %, reset after 60 s). */
export interface RestartSpec {
  readonly policy: RestartPolicy;
  /** Restarts allowed before the service is `failed`. */
  readonly maxRestarts: number;
  readonly backoff: BackoffSpec;
  /** Running this long resets the restart count and backoff. */
  readonly resetAfterMs: number;
}

/** A signal a service may be asked to stop with. */
export type ShutdownSignal = 'SIGTERM' | 'SIGINT' | 'SIGQUIT' | 'SIGHUP' | 'SIGKILL' | 'SIGUSR1' | 'SIGUSR2';

/** How a service is stopped: the signal, then SIGKILL to the whole group after the timeout. */
export interface ShutdownSpec {
  readonly signal: ShutdownSignal;
  readonly timeoutMs: number;
}

/**
 * Rotation of an instance's log file (copy-truncate): past `maxBytes` the file is copied to
 * `x.log.1` (older copies shifted up to `x.log.<keep>`) and emptied. Default 10 MiB and 3.
 */
export interface LogsSpec {
  /** Size in bytes at which the file is rotated; 0 means never (the file grows without bound). */
  readonly maxBytes: number;
  /** Rotated files kept; 0 keeps none (the file is emptied). */
  readonly keep: number;
}

/** One service, fully resolved. */
export interface ResolvedService {
  readonly name: string;
  readonly description: string | undefined;
  /** Not started unless named, or needed by a service that starts. */
  readonly disabled: boolean;
  /** Instances to run (default 1). */
  readonly replicas: number;
  readonly target: ServiceTarget;
  /**
   * The environment the service is given: the stack `env` (effective values), then the process's
   * `env_file`s, then the target's `env` (later wins). The process environment of the orchestrator
   * is not included; passing it on is the launcher's choice.
   */
  readonly env: Readonly<Record<string, TextValue>>;
  /** Named endpoints, in declaration order (the first is what `${services.NAME.port}` means). */
  readonly ports: Readonly<Record<string, number>>;
  /** Direct dependencies, in declaration order. */
  readonly dependsOn: readonly Dependency[];
  readonly readiness: Probe | undefined;
  readonly liveness: Probe | undefined;
  readonly restart: RestartSpec;
  readonly shutdown: ShutdownSpec;
  /** Rotation of each instance's log file. */
  readonly logs: LogsSpec;
  /** Every service reference the service uses (in env, commands and probes), to resolve at start. */
  readonly refs: readonly ServiceRef[];
}

/** A whole stack. */
export interface ResolvedConfig {
  /** The stack name (default: the configuration file's folder name). */
  readonly name: string;
  /** The configuration file, as given. */
  readonly file: string;
  /** The absolute folder relative paths were resolved against. */
  readonly dir: string;
  /** The top-level `env`, each variable with its effective value. */
  readonly env: Readonly<Record<string, string>>;
  readonly hosts: Readonly<Record<string, ResolvedHost>>;
  /** Services in declaration order. */
  readonly services: Readonly<Record<string, ResolvedService>>;
}
