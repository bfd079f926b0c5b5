import { ProtocolError } from './errors.js';
import { DEFAULT_QUEUE_LIMIT, EventQueue } from './event-queue.js';
import type { ErrorBody, FrameId, ServerFrame } from './frames.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: ProtocolError): void;
}

interface OpenSubscription {
  readonly queue: EventQueue<unknown>;
  readonly started: Pending;
  readonly expand: ((event: unknown) => readonly unknown[] | undefined) | undefined;
}

/** Options of {@link FrameCaller.subscribe}. */
export interface CallerSubscribeOptions {
  /** Aborting cancels the subscription (a `cancel` frame) and ends the iteration quietly. */
  readonly signal?: AbortSignal;
  /**
   * Turns one event into several items (a `LogBatch` into its lines); `undefined` keeps it as it is.
   */
  readonly expand?: (event: unknown) => readonly unknown[] | undefined;
}

/** Options of {@link FrameCaller}. */
export interface FrameCallerOptions {
  /** Items a subscription holds while its consumer is busy (default 10 000); the oldest go first. */
  readonly queueLimit?: number;
  /**
   * Stops and restarts reading the connection (a WebSocket's `pause()` / `resume()`). With it, a
   * subscription opened with `wait: true` drops nothing: when its queue is full the connection is
   * paused until its consumer has taken half of it, so the other end's send backlog grows and it
   * waits. Without it, such a subscription's queue drops and counts like any other.
   */
  readonly flow?: { pause(): void; resume(): void };
}

/** A subscription opened by {@link FrameCaller.subscribe}. */
export interface CallerSubscription {
  /** Its events, and a `{ lagged: n }` marker where events were lost; ends with the `end` frame. */
  readonly items: AsyncIterable<unknown>;
  /**
   * Settles with the other end's first answer: resolves on `{ subscribed: true }` (or when the
   * subscription is cancelled first), rejects with its error frame.
   */
  readonly subscribed: Promise<void>;
}

/**
 * The calling side of a connection: sends request and subscription frames through `send`, and
 * matches the answers handed to {@link FrameCaller.handle} by id. `HarnessClient` calls the daemon
 * with it; a controller calls its standalone workers with it. Each subscription has a bounded
 * queue: a slow consumer loses the oldest items and is told how many (`{ lagged: n }`).
 *
 * @example
 * const caller = new FrameCaller((text) => ws.send(text));
 * ws.on('message', (data) => { const f = parseServerFrame(data); if (!(f instanceof FrameError)) caller.handle(f); });
 * const rows = await caller.request('status', {});
 */
export class FrameCaller {
  readonly #send: (text: string) => void;
  readonly #pending = new Map<FrameId, Pending>();
  readonly #subs = new Map<FrameId, OpenSubscription>();
  readonly #queueLimit: number;
  readonly #flow: FrameCallerOptions['flow'];
  /** Subscriptions whose queue is full: the connection is paused while there is one. */
  readonly #full = new Set<FrameId>();
  #nextId = 1;
  #closedError: ProtocolError | undefined;

  constructor(send: (text: string) => void, options: FrameCallerOptions = {}) {
    this.#send = send;
    this.#queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    this.#flow = options.flow;
  }

  /** A queue for subscription `id`: lossless (pausing the connection) for a `wait` one with flow. */
  #queue(id: FrameId, params: object): EventQueue<unknown> {
    const flow = this.#flow;
    if (flow === undefined || (params as { wait?: unknown }).wait !== true) {
      return new EventQueue<unknown>(this.#queueLimit);
    }
    return new EventQueue<unknown>(this.#queueLimit, {
      full: () => {
        if (this.#full.size === 0) flow.pause();
        this.#full.add(id);
      },
      room: () => {
        if (this.#full.delete(id) && this.#full.size === 0) flow.resume();
      },
    });
  }

  /** The error calls fail with since {@link FrameCaller.shutdown}; undefined while open. */
  get closedError(): ProtocolError | undefined {
    return this.#closedError;
  }

  /** Requests and subscriptions waiting for an answer or still open. */
  get open(): number {
    return this.#pending.size + this.#subs.size;
  }

  /**
   * Sends a request; resolves with its result, rejects with its error frame as a
   * {@link ProtocolError} (same code), or with the shutdown's error.
   */
  request(method: string, params: object): Promise<unknown> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * Opens a subscription. Breaking out of `items` (or aborting `signal`) sends `cancel` and ends
   * the iteration quietly; a refusal or the shutdown rejects the next `next()`.
   */
  subscribe(method: string, params: object, options: CallerSubscribeOptions = {}): CallerSubscription {
    const { signal, expand } = options;
    const id = this.#nextId++;
    const queue = this.#queue(id, params);
    let settle: Pending = { resolve: () => {}, reject: () => {} };
    const subscribed = new Promise<void>((resolve, reject) => {
      settle = { resolve: () => resolve(), reject };
    });
    subscribed.catch(() => {}); // Also delivered through `items`: nobody has to await this.
    const cancel = (): void => {
      queue.clear();
      settle.resolve(undefined);
      if (!this.#subs.has(id)) return;
      this.#subs.delete(id);
      this.request('cancel', { id }).catch(() => {});
    };
    const onAbort = (): void => cancel();
    if (this.#closedError !== undefined) {
      queue.end(this.#closedError);
      settle.reject(this.#closedError);
    } else if (signal?.aborted) {
      queue.end();
      settle.resolve(undefined);
    } else {
      const started: Pending = {
        resolve: () => settle.resolve(undefined), // Subscribed: events follow.
        reject: (error) => {
          this.#subs.delete(id);
          queue.end(error);
          settle.reject(error);
        },
      };
      this.#subs.set(id, { queue, started, expand });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#send(JSON.stringify({ id, method, params }));
    }
    const iterator: AsyncIterator<unknown> = {
      next: async () => {
        try {
          const value = await queue.next();
          if (value === undefined) {
            signal?.removeEventListener('abort', onAbort);
            return { done: true, value: undefined };
          }
          return { done: false, value };
        } catch (error) {
          signal?.removeEventListener('abort', onAbort);
          throw error;
        }
      },
      return: async () => {
        signal?.removeEventListener('abort', onAbort);
        cancel();
        return { done: true, value: undefined };
      },
    };
    return { items: { [Symbol.asyncIterator]: () => iterator }, subscribed };
  }

  /** Takes one answer frame from the other end. Frames for ids no longer open are ignored. */
  handle(frame: ServerFrame): void {
    if (frame.id === null) return; // An error about no request in particular: nothing waits on it.
    const sub = this.#subs.get(frame.id);
    if (sub !== undefined) {
      if ('result' in frame) sub.started.resolve(frame.result);
      else if ('error' in frame) sub.started.reject(errorFromBody(frame.error));
      else if ('event' in frame) {
        const items = sub.expand?.(frame.event);
        if (items === undefined) sub.queue.push({ event: frame.event });
        else for (const event of items) sub.queue.push({ event });
      } else if ('lagged' in frame) sub.queue.push({ lagged: frame.lagged });
      else {
        this.#subs.delete(frame.id);
        sub.queue.end();
      }
      return;
    }
    const pending = this.#pending.get(frame.id);
    if (pending === undefined) return; // Late frames of a cancelled subscription.
    this.#pending.delete(frame.id);
    if ('error' in frame) pending.reject(errorFromBody(frame.error));
    else if ('result' in frame) pending.resolve(frame.result);
    else pending.reject(new ProtocolError('MALFORMED_FRAME', `request ${frame.id} got a subscription frame`));
  }

  /** Fails the request or subscription `id` (a bad answer from the other end), if it is open. */
  fail(id: FrameId, error: ProtocolError): void {
    const sub = this.#subs.get(id);
    if (sub !== undefined) {
      this.#subs.delete(id);
      sub.started.reject(error);
      sub.queue.end(error);
      return;
    }
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    pending.reject(error);
  }

  /** Ends every subscription quietly (no error), as when the caller closes on purpose. */
  endSubscriptions(): void {
    for (const s of this.#subs.values()) {
      s.started.resolve(undefined);
      s.queue.end();
    }
    this.#subs.clear();
  }

  /** The connection is over: every pending call and open subscription fails with `error`. */
  shutdown(error: ProtocolError): void {
    if (this.#closedError !== undefined) return;
    this.#closedError = error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    for (const s of this.#subs.values()) {
      s.started.reject(error);
      s.queue.end(error);
    }
    this.#subs.clear();
  }
}

/** A {@link ProtocolError} from the body of an error frame. */
export function errorFromBody(body: ErrorBody): ProtocolError {
  return new ProtocolError(body.code, body.message, body.data === undefined ? {} : { data: body.data });
}
