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
}

/**
 * Request/response methods: name → params and result. Every request frame carries one of these
 * names; the daemon answers with exactly one response frame carrying the same `id`.
 */
export interface RequestMethods {
  'daemon.info': { params: Record<string, never>; result: DaemonInfo };
  /** Stops the daemon; services keep running and are adopted by the next daemon. */
  'daemon.shutdown': { params: Record<string, never>; result: { ok: true } };
  'stack.up': { params: { stack: StackSpec; services?: string[] }; result: UpOutcome };
  'stack.down': { params: { stack: string }; result: { ok: true } };
  'stack.list': { params: Record<string, never>; result: string[] };
  'service.start': { params: { stack: string; services: string[] }; result: UpOutcome };
  'service.stop': { params: { stack: string; services: string[] }; result: { ok: true } };
  'service.restart': { params: { stack: string; services: string[] }; result: UpOutcome };
  status: { params: { stack?: string }; result: InstanceInfo[] };
}

/**
 * Subscription methods: the daemon answers with `{ id, result: { subscribed: true } }`, then
 * pushes `{ id, event }` frames until the subscription ends (`{ id, end: true }`) or the client
 * sends `cancel` with the same id.
 */
export interface SubscriptionMethods {
  logs: {
    params: { stack: string; services?: string[]; tail?: number; follow?: boolean };
    event: StampedLogLine;
  };
  events: { params: { stack?: string; replay?: number }; event: ManagerEvent };
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
];
export const SUBSCRIPTION_METHODS: readonly SubscriptionMethod[] = ['logs', 'events'];
