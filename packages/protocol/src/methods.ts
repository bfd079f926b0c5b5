import type {
  InstanceInfo,
  ManagerEvent,
  StackSpec,
  StampedLogLine,
  UpOutcome,
} from '@harness/service-orchestration';

/** The protocol version this package speaks. A client and a daemon must agree on it. */
export const PROTOCOL_VERSION = 1;

/** What a worker (the part that runs services on a host) offers the controller. */
export interface WorkerApi {
  up(stack: StackSpec, services?: readonly string[]): Promise<UpOutcome>;
  down(stack: string): Promise<void>;
  start(stack: string, service: string): Promise<UpOutcome>;
  stop(stack: string, service: string): Promise<void>;
  restart(stack: string, service: string): Promise<UpOutcome>;
  /** The status rows (a local worker answers at once; a remote one over the protocol). */
  status(stack?: string): InstanceInfo[] | Promise<InstanceInfo[]>;
  stacks(): string[] | Promise<string[]>;
  logs(
    stack: string,
    services: readonly string[] | undefined,
    options: LogsParams,
  ): AsyncIterable<StampedLogLine>;
  events(filter: EventsParams): AsyncIterable<ManagerEvent>;
}

/** A worker in the same process: it answers status at once. */
export interface LocalWorkerApi extends WorkerApi {
  status(stack?: string): InstanceInfo[];
  stacks(): string[];
}

export interface LogsParams {
  readonly tail?: number;
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
}

export interface EventsParams {
  readonly stack?: string;
  /** Deliver the last N events first. */
  readonly replay?: number;
  readonly signal?: AbortSignal;
}

/** Information about the daemon. */
export interface DaemonInfo {
  readonly version: string;
  readonly protocol: number;
  readonly pid: number;
  readonly startedAt: number;
  readonly home: string;
  /** Where the HTTP read side listens, when it runs. */
  readonly httpUrl?: string;
  /** The hosts whose workers take calls now: the controller's own and the registered ones. */
  readonly hosts?: readonly string[];
}

/** A host a controller routes calls to, as `hosts.list` reports it. */
export interface HostInfo {
  readonly host: string;
  /** The controller's own worker (same process) rather than a standalone one. */
  readonly local: boolean;
  /** `connected` takes calls; `gone` disconnected (calls to it get WORKER_GONE until it is back). */
  readonly state: 'connected' | 'gone';
  /** The worker's version, as it registered. */
  readonly version: string;
  /** When it registered (connected) or disconnected (gone), ms since the epoch. */
  readonly since: number;
  /** The standalone worker's pid, as it registered. */
  readonly pid?: number;
  /** The address its connection comes from. */
  readonly address?: string;
}

/** Params of `worker.register`: what a standalone worker says of itself. */
export interface WorkerRegisterParams {
  /** The host name calls are routed by (1–128 letters, digits, `_`, `.`, `-`). */
  readonly host: string;
  readonly version: string;
  readonly pid?: number;
}

/** The controller's answer to `worker.register`. */
export interface WorkerRegistered {
  readonly host: string;
  /** The controller's version. */
  readonly version: string;
  /**
   * The controller pings its workers this often (ms); a worker that hears nothing for three
   * times as long may take the connection for dead and reconnect.
   */
  readonly heartbeatMs: number;
}

/** The optional `host` param of the methods a controller routes to a worker. */
export interface HostParam {
  /**
   * The worker to run the call on. Default: the controller's own worker, or the only registered
   * one when it has none of its own.
   */
  host?: string;
}

/**
 * Request/response methods: name → params and result. Every request frame carries one of these
 * names; the daemon answers with exactly one response frame carrying the same `id`.
 */
export interface RequestMethods {
  'daemon.info': { params: Record<string, never>; result: DaemonInfo };
  /** Stops the daemon; services keep running and are adopted by the next daemon. */
  'daemon.shutdown': { params: Record<string, never>; result: { ok: true } };
  'stack.up': { params: { stack: StackSpec; services?: string[] } & HostParam; result: UpOutcome };
  'stack.down': { params: { stack: string } & HostParam; result: { ok: true } };
  'stack.list': { params: HostParam; result: string[] };
  'service.start': { params: { stack: string; services: string[] } & HostParam; result: UpOutcome };
  'service.stop': { params: { stack: string; services: string[] } & HostParam; result: { ok: true } };
  'service.restart': { params: { stack: string; services: string[] } & HostParam; result: UpOutcome };
  status: { params: { stack?: string } & HostParam; result: InstanceInfo[] };
  /** The hosts the controller routes to: its own worker, registered workers, and gone ones. */
  'hosts.list': { params: Record<string, never>; result: HostInfo[] };
  /**
   * Makes this connection the worker of a host: the controller then sends it the requests and
   * subscriptions for that host (controller → worker request frames on the same connection).
   */
  'worker.register': { params: WorkerRegisterParams; result: WorkerRegistered };
}

/** Params of the `logs` subscription. */
export interface LogsSubscriptionParams extends HostParam {
  stack: string;
  /** The services whose logs to read (default: every service of the stack). */
  services?: string[];
  /** The last N lines of each instance first (0 to 100 000). */
  tail?: number;
  /** Keep going with new lines until cancelled. */
  follow?: boolean;
  /**
   * Deliver every line: instead of dropping events for a slow reader (and sending `lagged`),
   * the daemon stops reading the log files while this connection's send backlog is over the
   * high-water mark and goes on once it drains, and each event is a `LogBatch` (consecutive
   * lines of one instance) rather than one line. `HarnessClient` yields the lines one by one,
   * and pauses the socket instead of dropping when the subscription's queue is full. Meant for
   * a connection that serves one reader (the CLI): a reader that stops also holds up what else
   * comes on the same connection.
   */
  wait?: boolean;
}

/**
 * Subscription methods: the daemon answers with `{ id, result: { subscribed: true } }`, then
 * pushes `{ id, event }` frames until the subscription ends (`{ id, end: true }`) or the client
 * sends `cancel` with the same id.
 */
export interface SubscriptionMethods {
  logs: { params: LogsSubscriptionParams; event: StampedLogLine };
  events: { params: { stack?: string; replay?: number } & HostParam; event: ManagerEvent };
}

export type RequestMethod = keyof RequestMethods;
export type SubscriptionMethod = keyof SubscriptionMethods;
export type Method = RequestMethod | SubscriptionMethod | 'hello' | 'cancel';

export const REQUEST_METHODS: readonly RequestMethod[] = [
  'daemon.info',
  'daemon.shutdown',
  'stack.up',
  'stack.down',
  'stack.list',
  'service.start',
  'service.stop',
  'service.restart',
  'status',
  'hosts.list',
  'worker.register',
];

/** The methods a worker answers: what a controller forwards to a standalone worker. */
export const WORKER_METHODS: readonly (RequestMethod | SubscriptionMethod)[] = [
  'stack.up',
  'stack.down',
  'stack.list',
  'service.start',
  'service.stop',
  'service.restart',
  'status',
  'logs',
  'events',
];
export const SUBSCRIPTION_METHODS: readonly SubscriptionMethod[] = ['logs', 'events'];
