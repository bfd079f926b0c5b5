/** The lifecycle states of a service instance (see the Lifecycle section of the design). */
export const SERVICE_STATES = [
  'stopped',
  'starting',
  'running',
  'healthy',
  'unhealthy',
  'stopping',
  'exited',
  'backoff',
  'failed',
] as const;

/** A lifecycle state: `stopped → starting → running → (healthy | unhealthy) → stopping → stopped`, plus `exited`, `backoff`, `failed`. */
export type ServiceState = (typeof SERVICE_STATES)[number];

/** What an instance runs as: a local process (pid + start time, since pids are reused), a container, or a program on another host. */
export type Target =
  | { readonly kind: 'process'; readonly pid: number; readonly startTime: number }
  | { readonly kind: 'container'; readonly containerId: string }
  | { readonly kind: 'remote'; readonly host: string; readonly pid?: number };

/**
 * A named endpoint. `host` is where the service listens when it is not all interfaces: leave it
 * out (or `0.0.0.0`/`::`) and {@link ServiceRegistry.resolve} picks the address by topology; a
 * loopback address makes it reachable from its own host only; any other value is returned as is.
 */
export interface Endpoint {
  readonly name: string;
  readonly port: number;
  readonly host?: string;
  readonly protocol?: string;
}

/** The last health verdict of an instance. */
export interface Health {
  readonly status: 'unknown' | 'passing' | 'failing';
  /** ISO time of the last check. */
  readonly checkedAt?: string;
  readonly message?: string;
  /** Consecutive failed checks. */
  readonly failures?: number;
}

/** How an instance ended; `code: null` means unknown (e.g. an adopted process). */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal?: string;
}

/** Free, JSON-serialisable data attached to a record. */
export type Meta = { readonly [key: string]: unknown };

/** What {@link ServiceRegistry.register} takes. */
export interface ServiceRegistration {
  readonly stack: string;
  readonly service: string;
  /** Replica index or id; default `0`. */
  readonly instance?: string | number;
  /** Name of the host it runs on (a registered {@link HostRecord} for `resolve`). */
  readonly host: string;
  readonly target?: Target;
  readonly endpoints?: readonly Endpoint[];
  /** Default `'starting'`. */
  readonly state?: ServiceState;
  /** Default `{ status: 'unknown' }`. */
  readonly health?: Health;
  /** ISO time the current run started. */
  readonly startedAt?: string;
  /** Default 0. */
  readonly restarts?: number;
  /** Set with `exited`/`failed`. */
  readonly exit?: ExitInfo;
  /** Why it is `failed` or not started. */
  readonly reason?: string;
  /** ISO time of the next attempt, with `backoff`. */
  readonly nextAttemptAt?: string;
  readonly labels?: { readonly [key: string]: string };
  readonly meta?: Meta;
}

/** A registered instance, as stored. `key` is `stack/service/instance`. */
export interface ServiceRecord {
  readonly key: string;
  readonly stack: string;
  readonly service: string;
  readonly instance: string;
  readonly host: string;
  readonly target?: Target;
  readonly endpoints: readonly Endpoint[];
  readonly state: ServiceState;
  readonly health: Health;
  readonly startedAt?: string;
  readonly restarts: number;
  readonly exit?: ExitInfo;
  readonly reason?: string;
  readonly nextAttemptAt?: string;
  readonly labels: { readonly [key: string]: string };
  readonly meta: Meta;
  /** ISO time of the last write. */
  readonly updatedAt: string;
  /** Store revision of the last write; pass it to `update`/`deregister` to compare-and-swap. */
  readonly revision: number;
}

/**
 * A partial update: given fields replace the stored ones (`labels` and `meta` as a whole); `null`
 * clears an optional field.
 */
export interface ServicePatch {
  readonly host?: string;
  readonly target?: Target | null;
  readonly endpoints?: readonly Endpoint[];
  readonly state?: ServiceState;
  readonly health?: Health;
  readonly startedAt?: string | null;
  readonly restarts?: number;
  readonly exit?: ExitInfo | null;
  readonly reason?: string | null;
  readonly nextAttemptAt?: string | null;
  readonly labels?: { readonly [key: string]: string };
  readonly meta?: Meta;
}

/** How other hosts reach a host: not at all (`local`), at `address` (`lan`), or at `wireguardAddress` (`wireguard`). */
export type HostNetwork = 'local' | 'lan' | 'wireguard';

/** What {@link ServiceRegistry.registerHost} takes. */
export interface HostRegistration {
  readonly name: string;
  /** The host's LAN (or otherwise routable) address. */
  readonly address: string;
  readonly network: HostNetwork;
  /** The host's address inside the WireGuard mesh; required when `network` is `wireguard`. */
  readonly wireguardAddress?: string;
  readonly labels?: { readonly [key: string]: string };
}

/** A registered host. */
export interface HostRecord extends Required<Omit<HostRegistration, 'wireguardAddress'>> {
  readonly wireguardAddress?: string;
  readonly revision: number;
}

/** Selects records; every given field must match. */
export interface ServiceFilter {
  readonly stack?: string;
  readonly service?: string;
  readonly host?: string;
  /** One state or any of several. */
  readonly state?: ServiceState | readonly ServiceState[];
}

/** A reference to a service's endpoint, as in `${services.db.ports.pg}`. */
export interface ServiceRef {
  readonly stack: string;
  readonly service: string;
  /** Endpoint name; may be left out when the service has exactly one endpoint. */
  readonly endpoint?: string;
  /** Pin one instance; otherwise the best one is chosen (see `resolve`). */
  readonly instance?: string | number;
}

/** Where to connect, as seen from a given host. */
export interface ResolvedAddress {
  readonly host: string;
  readonly port: number;
  readonly protocol?: string;
  /** How the address was chosen. */
  readonly via: 'loopback' | 'lan' | 'wireguard' | 'explicit';
  /** The endpoint's name. */
  readonly endpoint: string;
  /** The instance chosen. */
  readonly record: ServiceRecord;
}
