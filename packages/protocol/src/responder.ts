import type { FrameSocket } from './unix-websocket.js';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import type { ClientFrame, ErrorBody, FrameId } from './frames.js';
import { type RequestMethod, SUBSCRIPTION_METHODS, type SubscriptionMethod } from './methods.js';

/** The params of a request frame, already checked against its method. */
export type FrameParams = Readonly<Record<string, unknown>>;

/**
 * What answers the requests and subscriptions a {@link FrameResponder} receives. The daemon's
 * controller routes them to a worker; a standalone worker runs them on its own services
 * ({@link workerHandler}).
 */
export interface RequestHandler {
  /** Runs a request method; resolves with the result to send, rejects with the error to send. */
  request(method: RequestMethod, params: FrameParams): Promise<unknown>;
  /**
   * Opens a subscription's source once it is sure to deliver (the answer `{ subscribed: true }`
   * waits for it); rejects with the refusal. The source must end soon after `signal` aborts.
   * Items that are `{ lagged: n }` (n a positive integer) add to the count of lost events
   * instead of going out as events, so a loss upstream reaches the client as one count.
   */
  subscribe(
    method: SubscriptionMethod,
    params: FrameParams,
    signal: AbortSignal,
  ): Promise<AsyncIterable<unknown>>;
}

/** Options of {@link FrameResponder}. */
export interface FrameResponderOptions {
  /** Requests and subscriptions that may be open at once (default 256); more get LIMIT_EXCEEDED. */
  readonly maxOpen?: number;
}

/** Default of {@link FrameResponderOptions.maxOpen}: what one client connection may have open. */
export const MAX_OPEN_PER_CONNECTION = 256;

/**
 * Bytes a connection may have queued for sending before subscription events are dropped for it.
 * The other end then gets one `{ id, lagged: n }` frame once the backlog is written out (or before
 * the next event, or before `end`), so memory stays bounded while the count stays exact.
 */
export const SEND_HIGH_WATER_BYTES = 1024 * 1024;

/** Orchestration codes that travel as the same protocol code; anything else is INTERNAL. */
const PASSED_THROUGH: ReadonlySet<string> = new Set<ProtocolErrorCode>([
  'UNKNOWN_STACK',
  'UNKNOWN_SERVICE',
  'INVALID_SPEC',
  'DEPENDENCY_CYCLE',
  'START_FAILED',
]);

/**
 * Any error as a protocol error: a {@link ProtocolError} as it is, an error whose `code` the
 * protocol passes through (UNKNOWN_STACK, UNKNOWN_SERVICE, INVALID_SPEC, DEPENDENCY_CYCLE,
 * START_FAILED) with that code, anything else as INTERNAL with its message.
 *
 * @example
 * toProtocolError(new OrchestrationError('UNKNOWN_STACK', 'no stack named x')).code; // 'UNKNOWN_STACK'
 */
export function toProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && PASSED_THROUGH.has(code)) {
    return new ProtocolError(code as ProtocolErrorCode, message);
  }
  return new ProtocolError('INTERNAL', message);
}

const isSubscription = (m: string): m is SubscriptionMethod =>
  (SUBSCRIPTION_METHODS as readonly string[]).includes(m);

/** A lost-events marker from an upstream source (a positive integer count, nothing else). */
function laggedCount(item: unknown): number | undefined {
  if (typeof item !== 'object' || item === null || !('lagged' in item)) return undefined;
  if (Object.keys(item).length !== 1) return undefined;
  const n = (item as { lagged: unknown }).lagged;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * The answering side of a connection: takes request frames (already parsed and checked), runs
 * them through a {@link RequestHandler} and sends the answers on the WebSocket — one response per
 * request; `{ subscribed: true }`, events, `lagged` counts and one `end` (or one error) per
 * subscription; `cancel` ends a subscription. Ids must be unique among the open ones
 * (DUPLICATE_ID) and at most `maxOpen` may be open (LIMIT_EXCEEDED). Subscription events are
 * dropped and counted, never queued without bound, while more than {@link SEND_HIGH_WATER_BYTES}
 * wait to be written, so a slow reader never holds up the answers to its requests.
 *
 * @example
 * const responder = new FrameResponder(ws, workerHandler(api));
 * ws.on('message', (data) => { const f = parseClientFrame(data); f instanceof FrameError ? responder.error(f.id, f) : responder.handle(f); });
 * ws.on('close', () => responder.closed());
 */
export class FrameResponder {
  readonly #ws: FrameSocket;
  readonly #handler: RequestHandler;
  readonly #maxOpen: number;
  readonly #open = new Map<FrameId, Subscription | 'request'>();

  constructor(ws: FrameSocket, handler: RequestHandler, options: FrameResponderOptions = {}) {
    this.#ws = ws;
    this.#handler = handler;
    this.#maxOpen = options.maxOpen ?? MAX_OPEN_PER_CONNECTION;
  }

  /** Sends one frame (as JSON) while the socket is open. */
  send(frame: object): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  /** Sends an error frame for `id` (`null` when the frame's id could not be read). */
  error(id: FrameId | null, error: ProtocolError | ErrorBody): void {
    const body: ErrorBody = { code: error.code, message: error.message };
    const data = (error as { data?: unknown }).data;
    this.send({ id, error: data === undefined ? body : { ...body, data } });
  }

  /** Answers one request frame (hello excepted: that is the connection's first frame only). */
  handle(frame: ClientFrame): void {
    const { id, method } = frame;
    if (method === 'hello') {
      this.error(id, { code: 'MALFORMED_FRAME', message: 'hello was already accepted on this connection' });
      return;
    }
    if (method === 'cancel') {
      const target = this.#open.get((frame.params as { id: FrameId }).id);
      if (target instanceof Subscription) {
        this.#open.delete(target.id);
        target.end();
      }
      this.send({ id, result: { ok: true } });
      return;
    }
    if (this.#open.has(id)) {
      this.error(id, { code: 'DUPLICATE_ID', message: `id ${JSON.stringify(id)} is already in use` });
      return;
    }
    if (this.#open.size >= this.#maxOpen) {
      const message = `at most ${this.#maxOpen} requests and subscriptions may be open at once`;
      this.error(id, { code: 'LIMIT_EXCEEDED', message });
      return;
    }
    const params = (frame.params ?? {}) as FrameParams;
    if (isSubscription(method)) void this.#subscribe(id, method, params);
    else void this.#request(id, method as RequestMethod, params);
  }

  async #request(id: FrameId, method: RequestMethod, params: FrameParams): Promise<void> {
    this.#open.set(id, 'request');
    try {
      const result = await this.#handler.request(method, params);
      this.#open.delete(id);
      this.send({ id, result: result ?? null });
    } catch (error) {
      this.#open.delete(id);
      this.error(id, toProtocolError(error));
    }
  }

  async #subscribe(id: FrameId, method: SubscriptionMethod, params: FrameParams): Promise<void> {
    const sub = new Subscription(id, this.#ws, params.wait === true);
    this.#open.set(id, sub);
    let source: AsyncIterable<unknown>;
    try {
      source = await this.#handler.subscribe(method, params, sub.signal);
    } catch (error) {
      if (this.#open.get(id) === sub) this.#open.delete(id);
      if (sub.refuse()) this.error(id, toProtocolError(error));
      return;
    }
    if (sub.ended) {
      // Cancelled (or shut down) while it was being opened: the signal stops the source.
      void source[Symbol.asyncIterator]()
        .return?.()
        ?.catch(() => {});
      return;
    }
    this.send({ id, result: { subscribed: true } });
    await sub.pump(source);
    if (this.#open.get(id) === sub) this.#open.delete(id);
  }

  /** Requests and subscriptions open now. */
  get openCount(): number {
    return this.#open.size;
  }

  /** Ends every subscription with its `end` frame (the daemon shuts down). */
  endAll(): void {
    for (const entry of this.#open.values()) if (entry instanceof Subscription) entry.end();
    this.#open.clear();
  }

  /** The socket is gone: every source is stopped, nothing more is sent. */
  closed(): void {
    for (const entry of this.#open.values()) if (entry instanceof Subscription) entry.end();
    this.#open.clear();
  }
}

/**
 * One open subscription of a connection (internal). Its events are dropped (and counted) while
 * the send backlog is over the high-water mark — unless it was opened with `wait`: then the
 * source is not pulled while the backlog is over the mark, and the send callbacks wake the pump
 * once this subscription's frames are written out or the backlog is under the mark again.
 */
class Subscription {
  readonly id: FrameId;
  readonly #ws: FrameSocket;
  readonly #wait: boolean;
  readonly #abort = new AbortController();
  #dropped = 0;
  #inFlight = 0;
  #ended = false;
  /** Wakes the pump waiting for the backlog to drain. */
  #resume: (() => void) | undefined;

  constructor(id: FrameId, ws: FrameSocket, wait: boolean) {
    this.id = id;
    this.#ws = ws;
    this.#wait = wait;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Marks a subscription refused before it started; false when it had ended already. */
  refuse(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.#abort.abort();
    return true;
  }

  /** Sends events until the source ends, then `end` (or an error frame if the source fails). */
  async pump(source: AsyncIterable<unknown>): Promise<void> {
    try {
      for await (const item of source) {
        if (this.#abort.signal.aborted) break;
        const lost = laggedCount(item);
        if (lost !== undefined) {
          this.#dropped += lost;
          if (this.#inFlight === 0) this.#flushLagged();
        } else if (!this.#wait) this.#send(item);
        else {
          this.#flushLagged();
          this.#frame({ id: this.id, event: item });
          if (this.#blocked()) await this.#drained();
        }
      }
      this.end();
    } catch (error) {
      if (this.#ended) return;
      this.#ended = true;
      const e = toProtocolError(error);
      this.#flushLagged();
      this.#frame({ id: this.id, error: { code: e.code, message: e.message } });
      this.#abort.abort();
      this.#wake();
    }
  }

  #send(event: unknown): void {
    if (this.#ws.bufferedAmount > SEND_HIGH_WATER_BYTES) {
      this.#dropped++;
      return;
    }
    this.#flushLagged();
    this.#frame({ id: this.id, event });
  }

  /**
   * Over the high-water mark with frames of ours still unsent: wait for them. (When all of ours
   * are out, the backlog is other subscriptions': one more frame of ours goes, and its callback
   * checks again — so a subscription never waits on a callback that will not come.)
   */
  #blocked(): boolean {
    return (
      this.#inFlight > 0 &&
      this.#ws.bufferedAmount > SEND_HIGH_WATER_BYTES &&
      this.#ws.readyState === this.#ws.OPEN &&
      !this.#abort.signal.aborted
    );
  }

  /** Resolves once a send callback finds the backlog drained (or the subscription ended). */
  #drained(): Promise<void> {
    return new Promise((resolve) => {
      this.#resume = resolve;
    });
  }

  #wake(): void {
    const resume = this.#resume;
    this.#resume = undefined;
    resume?.();
  }

  /** Sends the lagged count, if any; when nothing of this subscription is still unsent. */
  #flushLagged(): void {
    if (this.#dropped === 0) return;
    const lagged = this.#dropped;
    this.#dropped = 0;
    this.#frame({ id: this.id, lagged });
  }

  #frame(frame: object): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#inFlight++;
    this.#ws.send(JSON.stringify(frame), () => {
      this.#inFlight--;
      if (this.#resume !== undefined && !this.#blocked()) this.#wake();
      // Written out: once all of ours are, a pending lagged count goes without waiting for an event.
      if (this.#inFlight === 0 && !this.#ended) this.#flushLagged();
    });
  }

  /** Ends it now (cancel, shutdown, source done): `{ id, end: true }` once, and the source stopped. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#flushLagged();
    this.#frame({ id: this.id, end: true });
    this.#abort.abort();
    this.#wake();
  }
}
