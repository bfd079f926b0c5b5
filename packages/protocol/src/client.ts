import type WebSocket from 'ws';
import { ProtocolError } from './errors.js';
import { DEFAULT_QUEUE_LIMIT, EventQueue, type Lagged } from './event-queue.js';
import type { FrameId, HelloResult, ServerFrame } from './frames.js';
import type { RequestMethod, RequestMethods, SubscriptionMethod, SubscriptionMethods } from './methods.js';
import { PROTOCOL_VERSION } from './methods.js';
import { FrameError, parseServerFrame } from './parse-frames.js';
import { type ClientEndpoint, openSocket } from './transport.js';

/** Options of {@link HarnessClient.connect}. */
export interface ClientOptions {
  /** The daemon's token (the contents of its 0600 token file). */
  readonly token: string;
  /** Bound on connecting plus the hello exchange, in ms (default 10 000). */
  readonly timeoutMs?: number;
  /** A name the daemon may log (default `harness-client`). */
  readonly clientName?: string;
  /** Items a subscription holds while its consumer is busy (default 10 000); see {@link Lagged}. */
  readonly queueLimit?: number;
}

/** Options of {@link HarnessClient.subscribe}. */
export interface SubscribeOptions {
  /** Aborting cancels the subscription (a `cancel` frame) and ends the iteration quietly. */
  readonly signal?: AbortSignal;
}

type ParamsArg<P> = Record<string, never> extends P ? [params?: P] : [params: P];

interface Pending {
  resolve(value: unknown): void;
  reject(error: ProtocolError): void;
}

interface OpenSubscription {
  readonly queue: EventQueue<unknown>;
  readonly started: Pending;
}

/**
 * A connection to the Harness daemon over its Unix socket or over WSS with a pinned certificate.
 * Requests are matched to responses by id; subscriptions are async iterables.
 *
 * @example
 * const paths = daemonPaths(defaultHome());
 * const client = await HarnessClient.connect({ socketPath: paths.socket }, { token: readFileSync(paths.token, 'utf8') });
 * console.log(await client.request('status', {}));
 * for await (const e of client.subscribe('events', { stack: 'shop' })) console.log(e);
 * await client.close();
 */
export class HarnessClient {
  /** What the daemon said to `hello`. */
  readonly server: HelloResult;
  readonly #ws: WebSocket;
  readonly #pending = new Map<FrameId, Pending>();
  readonly #subs = new Map<FrameId, OpenSubscription>();
  readonly #queueLimit: number;
  #nextId = 1;
  #closedError: ProtocolError | undefined;
  readonly #closed: Promise<void>;

  private constructor(ws: WebSocket, server: HelloResult, queueLimit: number) {
    this.#ws = ws;
    this.server = server;
    this.#queueLimit = queueLimit;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('error', () => {});
    this.#closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        const why = reason.length > 0 ? `: ${reason.toString()}` : '';
        this.#shutdown(
          new ProtocolError('CONNECTION_CLOSED', `the daemon closed the connection (${code}${why})`),
        );
        resolve();
      });
    });
  }

  /**
   * Connects, sends `hello` with the token, and resolves once the daemon accepts it. Rejects
   * with a {@link ProtocolError}: DAEMON_UNAVAILABLE (nothing listening), CERTIFICATE_MISMATCH
   * (the pin does not match), UNAUTHENTICATED, PROTOCOL_VERSION, TIMEOUT or CONNECTION_CLOSED.
   *
   * @example
   * await HarnessClient.connect({ url: 'wss://127.0.0.1:7777', certFingerprint: 'ab12…' }, { token });
   */
  static async connect(endpoint: ClientEndpoint, options: ClientOptions): Promise<HarnessClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const ws = await openSocket(endpoint, timeoutMs);
    const hello = await new Promise<HelloResult>((resolve, reject) => {
      const finish = (error: ProtocolError | undefined, result?: HelloResult): void => {
        clearTimeout(timer);
        ws.removeAllListeners();
        if (error === undefined && result !== undefined) {
          resolve(result);
          return;
        }
        ws.on('error', () => {});
        ws.terminate();
        reject(error);
      };
      const timer = setTimeout(
        () => finish(new ProtocolError('TIMEOUT', `no answer to hello within ${timeoutMs} ms`)),
        timeoutMs,
      );
      ws.on('error', () => {});
      ws.once('close', (code: number, reason: Buffer) => {
        finish(new ProtocolError('CONNECTION_CLOSED', `closed during hello (${code}: ${reason.toString()})`));
      });
      ws.once('message', (data: Buffer) => {
        const frame = parseServerFrame(data);
        if (frame instanceof FrameError) return finish(frame);
        if ('error' in frame) return finish(toError(frame.error));
        if ('result' in frame && frame.id === 0) return finish(undefined, frame.result as HelloResult);
        finish(new ProtocolError('MALFORMED_FRAME', 'the daemon answered hello with an unexpected frame'));
      });
      const params = {
        protocol: PROTOCOL_VERSION,
        token: options.token,
        client: options.clientName ?? 'harness-client',
      };
      ws.send(JSON.stringify({ id: 0, method: 'hello', params }));
    });
    return new HarnessClient(ws, hello, options.queueLimit ?? DEFAULT_QUEUE_LIMIT);
  }

  /**
   * Sends a request and resolves with its result; rejects with the daemon's error as a
   * {@link ProtocolError} (same code), or CONNECTION_CLOSED when the connection ends first.
   *
   * @example
   * const rows = await client.request('status', { stack: 'shop' });
   */
  request<M extends RequestMethod>(
    method: M,
    ...args: ParamsArg<RequestMethods[M]['params']>
  ): Promise<RequestMethods[M]['result']> {
    return this.#send(method, args[0] ?? {}) as Promise<RequestMethods[M]['result']>;
  }

  #send(method: string, params: object): Promise<unknown> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * Opens a subscription: yields its events (and a {@link Lagged} marker where events were lost)
   * until the daemon ends it; rejects on the first `next()` if the daemon refuses it. Breaking out
   * of the loop or aborting `signal` sends `cancel`.
   *
   * @example
   * for await (const line of client.subscribe('logs', { stack: 'shop', follow: true }, { signal })) {
   *   if (!isLagged(line)) console.log(line.service, line.line);
   * }
   */
  subscribe<M extends SubscriptionMethod>(
    method: M,
    params: SubscriptionMethods[M]['params'],
    options: SubscribeOptions = {},
  ): AsyncIterable<SubscriptionMethods[M]['event'] | Lagged> {
    const queue = new EventQueue<unknown>(this.#queueLimit);
    const id = this.#nextId++;
    const cancel = (): void => {
      queue.clear();
      if (!this.#subs.has(id)) return;
      this.#subs.delete(id);
      this.#send('cancel', { id }).catch(() => {});
    };
    const onAbort = (): void => cancel();
    if (this.#closedError !== undefined) {
      queue.end(this.#closedError);
    } else if (options.signal?.aborted) {
      queue.end();
    } else {
      const started: Pending = {
        resolve: () => {}, // Subscribed: events follow.
        reject: (error) => {
          this.#subs.delete(id);
          queue.end(error);
        },
      };
      this.#subs.set(id, { queue, started });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#ws.send(JSON.stringify({ id, method, params }));
    }
    const iterator: AsyncIterator<SubscriptionMethods[M]['event'] | Lagged> = {
      next: async () => {
        try {
          const value = await queue.next();
          if (value === undefined) {
            options.signal?.removeEventListener('abort', onAbort);
            return { done: true, value: undefined };
          }
          return { done: false, value: value as SubscriptionMethods[M]['event'] | Lagged };
        } catch (error) {
          options.signal?.removeEventListener('abort', onAbort);
          throw error;
        }
      },
      return: async () => {
        options.signal?.removeEventListener('abort', onAbort);
        cancel();
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const frame = isBinary
      ? new FrameError('MALFORMED_FRAME', 'the daemon sent a binary frame', null)
      : parseServerFrame(data);
    if (frame instanceof FrameError) {
      this.#ws.close(1002, 'malformed frame from the daemon');
      this.#shutdown(new ProtocolError(frame.code, `the daemon sent a bad frame: ${frame.message}`));
      return;
    }
    this.#dispatch(frame);
  }

  #dispatch(frame: ServerFrame): void {
    if (frame.id === null) return; // An error about no request in particular: nothing waits on it.
    const sub = this.#subs.get(frame.id);
    if (sub !== undefined) {
      if ('result' in frame) sub.started.resolve(frame.result);
      else if ('error' in frame) sub.started.reject(toError(frame.error));
      else if ('event' in frame) sub.queue.push({ event: frame.event });
      else if ('lagged' in frame) sub.queue.push({ lagged: frame.lagged });
      else {
        this.#subs.delete(frame.id);
        sub.queue.end();
      }
      return;
    }
    const pending = this.#pending.get(frame.id);
    if (pending === undefined) return; // Late frames of a cancelled subscription.
    this.#pending.delete(frame.id);
    if ('error' in frame) pending.reject(toError(frame.error));
    else if ('result' in frame) pending.resolve(frame.result);
    else pending.reject(new ProtocolError('MALFORMED_FRAME', `request ${frame.id} got a subscription frame`));
  }

  #shutdown(error: ProtocolError): void {
    if (this.#closedError !== undefined) return;
    this.#closedError = error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    for (const s of this.#subs.values()) s.queue.end(error);
    this.#subs.clear();
  }

  /**
   * Closes the connection: pending requests reject with CONNECTION_CLOSED, subscriptions end.
   *
   * @example
   * await client.close();
   */
  /** Resolves once the connection has closed, by either side. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  async close(): Promise<void> {
    const error = new ProtocolError('CONNECTION_CLOSED', 'the client closed the connection');
    for (const s of this.#subs.values()) s.queue.end();
    this.#subs.clear();
    this.#shutdown(error);
    if (this.#ws.readyState !== this.#ws.CLOSED) this.#ws.close(1000, 'bye');
    await this.#closed;
  }
}

function toError(body: { code: ProtocolError['code']; message: string; data?: unknown }): ProtocolError {
  return new ProtocolError(body.code, body.message, body.data === undefined ? {} : { data: body.data });
}
