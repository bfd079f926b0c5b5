import type { FrameSocket } from './unix-websocket.js';
import { errorFromBody, FrameCaller } from './caller.js';
import { ProtocolError } from './errors.js';
import { DEFAULT_QUEUE_LIMIT, type Lagged } from './event-queue.js';
import type { HelloResult } from './frames.js';
import { expandLogBatch, isLogBatch } from './log-batch.js';
import type { RequestMethod, RequestMethods, SubscriptionMethod, SubscriptionMethods } from './methods.js';
import { PROTOCOL_VERSION } from './methods.js';
import { FrameError, parsePeerFrame, parseServerFrame } from './parse-frames.js';
import { FrameResponder, type RequestHandler } from './responder.js';
import { type ClientEndpoint, openSocket } from './transport.js';

/** The lines of a `LogBatch` event (what `logs` with `wait` sends); other events as they are. */
function linesOf(event: unknown): readonly unknown[] | undefined {
  return isLogBatch(event) ? expandLogBatch(event) : undefined;
}

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

/** Options of {@link HarnessClient.serve}. */
export interface ServeOptions {
  /** Requests and subscriptions of the daemon that may be open at once (default 256). */
  readonly maxOpen?: number;
}

/**
 * A connection to the Harness daemon over its Unix socket or over WSS with a pinned certificate.
 * Requests are matched to responses by id; subscriptions are async iterables. A standalone worker
 * also answers the daemon's requests on the same connection ({@link HarnessClient.serve}).
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
  readonly #ws: FrameSocket;
  readonly #caller: FrameCaller;
  #responder: FrameResponder | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  readonly #closed: Promise<void>;

  private constructor(ws: FrameSocket, server: HelloResult, queueLimit: number) {
    this.#ws = ws;
    this.server = server;
    this.#caller = new FrameCaller((text) => ws.send(text), {
      queueLimit,
      flow: { pause: () => ws.pause(), resume: () => ws.resume() },
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('error', () => {});
    this.#closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        const why = reason.length > 0 ? `: ${reason.toString()}` : '';
        clearTimeout(this.#watchdog);
        this.#responder?.closed();
        this.#caller.shutdown(
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
        if ('error' in frame) return finish(errorFromBody(frame.error));
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
    return this.#caller.request(method, args[0] ?? {}) as Promise<RequestMethods[M]['result']>;
  }

  /**
   * Opens a subscription: yields its events (and a {@link Lagged} marker where events were lost)
   * until the daemon ends it; rejects on the first `next()` if the daemon refuses it. Breaking out
   * of the loop or aborting `signal` sends `cancel`. With `wait: true` (logs) nothing is lost:
   * the daemon sends lines in batches at the pace they are taken, and while the subscription's
   * queue is full the connection is paused — holding up everything else on it too. The lines are
   * yielded one by one all the same.
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
    const wait = method === 'logs' && (params as { wait?: unknown }).wait === true;
    return this.#caller.subscribe(method, params, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(wait ? { expand: linesOf } : {}),
    }).items as AsyncIterable<SubscriptionMethods[M]['event'] | Lagged>;
  }

  /**
   * Answers the daemon's requests on this connection from now on: request frames the daemon
   * sends (what a controller sends a standalone worker after `worker.register`) go to `handler`,
   * with the same rules as the daemon's own (ids, limits, bounded subscriptions, cancel).
   * Without it, a request frame from the daemon is a bad frame and drops the connection.
   *
   * @example
   * client.serve(workerHandler(worker.api));
   * await client.request('worker.register', { host: 'edge-1', version: '0.1.0' });
   */
  serve(handler: RequestHandler, options: ServeOptions = {}): void {
    this.#responder = new FrameResponder(
      this.#ws,
      handler,
      options.maxOpen === undefined ? {} : { maxOpen: options.maxOpen },
    );
  }

  /**
   * Takes the connection for dead when nothing — no frame, no ping — arrives from the daemon for
   * `ms`: it is cut, and pending calls fail with CONNECTION_CLOSED. A controller pings its
   * workers (`heartbeatMs` of `worker.register`); a worker watches with three times that.
   *
   * @example
   * client.watchdog(registered.heartbeatMs * 3);
   */
  watchdog(ms: number): void {
    const arm = (): void => {
      clearTimeout(this.#watchdog);
      this.#watchdog = setTimeout(() => this.#ws.terminate(), ms);
      this.#watchdog.unref();
    };
    this.#ws.on('ping', arm);
    this.#ws.on('message', arm);
    arm();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#bad(new FrameError('MALFORMED_FRAME', 'the daemon sent a binary frame', null));
      return;
    }
    if (this.#responder === undefined) {
      const frame = parseServerFrame(data);
      if (frame instanceof FrameError) this.#bad(frame);
      else this.#caller.handle(frame);
      return;
    }
    const peer = parsePeerFrame(data);
    if (peer.kind === 'request') {
      if (peer.frame instanceof FrameError) this.#responder.error(peer.frame.id, peer.frame);
      else this.#responder.handle(peer.frame);
    } else if (peer.frame instanceof FrameError) this.#bad(peer.frame);
    else this.#caller.handle(peer.frame);
  }

  #bad(frame: FrameError): void {
    this.#ws.close(1002, 'malformed frame from the daemon');
    this.#caller.shutdown(new ProtocolError(frame.code, `the daemon sent a bad frame: ${frame.message}`));
  }

  /** Resolves once the connection has closed, by either side. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Why the connection is over (CONNECTION_CLOSED with the close code, …); undefined while open. */
  get closeError(): ProtocolError | undefined {
    return this.#caller.closedError;
  }

  /**
   * Closes the connection: pending requests reject with CONNECTION_CLOSED, subscriptions end.
   *
   * @example
   * await client.close();
   */
  async close(): Promise<void> {
    this.#caller.endSubscriptions();
    this.#caller.shutdown(new ProtocolError('CONNECTION_CLOSED', 'the client closed the connection'));
    if (this.#ws.readyState !== this.#ws.CLOSED) this.#ws.close(1000, 'bye');
    await this.#closed;
  }
}
