import { timingSafeEqual } from 'node:crypto';
import {
  type ErrorBody,
  type FrameId,
  FrameError,
  type HelloParams,
  PROTOCOL_VERSION,
  type ProtocolError,
  parseClientFrame,
  type RequestMethod,
  SUBSCRIPTION_METHODS,
  type SubscriptionMethod,
} from '@harness/protocol';
import type { WebSocket } from 'ws';
import { type DispatchContext, dispatch, toProtocolError } from './dispatch.js';
import { Subscription } from './subscription.js';

/** Requests and subscriptions one connection may have open at once. */
export const MAX_OPEN_PER_CONNECTION = 256;
/** A connection that has not said hello by then is closed. */
export const HELLO_TIMEOUT_MS = 10_000;

/** What every connection shares (internal). */
export interface ConnectionContext extends DispatchContext {
  readonly token: Buffer;
  readonly version: string;
  readonly onShutdownRequest: () => void;
}

const isSubscription = (m: string): m is SubscriptionMethod =>
  (SUBSCRIPTION_METHODS as readonly string[]).includes(m);

/** One client connection: hello, then requests and subscriptions (internal). */
export class Connection {
  readonly #ws: WebSocket;
  readonly #ctx: ConnectionContext;
  readonly #open = new Map<FrameId, Subscription | 'request'>();
  readonly #helloTimer: NodeJS.Timeout;
  #authenticated = false;

  constructor(ws: WebSocket, ctx: ConnectionContext) {
    this.#ws = ws;
    this.#ctx = ctx;
    this.#helloTimer = setTimeout(
      () => this.#refuse(null, 'UNAUTHENTICATED', 'no hello in time'),
      HELLO_TIMEOUT_MS,
    );
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    // Oversized frames (maxPayload) and protocol violations: ws closes with 1009 / 1002 itself.
    ws.on('error', () => {});
    ws.once('close', () => this.#closed());
  }

  #send(frame: object): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  #error(id: FrameId | null, error: ProtocolError | ErrorBody): void {
    const body: ErrorBody = { code: error.code, message: error.message };
    const data = (error as { data?: unknown }).data;
    this.#send({ id, error: data === undefined ? body : { ...body, data } });
  }

  #refuse(id: FrameId | null, code: 'UNAUTHENTICATED' | 'PROTOCOL_VERSION', message: string): void {
    clearTimeout(this.#helloTimer);
    this.#error(id, { code, message });
    this.#ws.close(1008, code === 'UNAUTHENTICATED' ? 'unauthenticated' : 'protocol version');
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const frame = isBinary
      ? new FrameError('MALFORMED_FRAME', 'binary frames are not accepted: send JSON text', null)
      : parseClientFrame(data);
    if (!this.#authenticated) {
      this.#hello(frame);
      return;
    }
    if (frame instanceof FrameError) {
      this.#error(frame.id, frame);
      return;
    }
    const { id, method } = frame;
    if (method === 'hello') {
      this.#error(id, { code: 'MALFORMED_FRAME', message: 'hello was already accepted on this connection' });
      return;
    }
    if (method === 'cancel') {
      const target = this.#open.get((frame.params as { id: FrameId }).id);
      if (target instanceof Subscription) {
        this.#open.delete(target.id);
        target.end();
      }
      this.#send({ id, result: { ok: true } });
      return;
    }
    if (this.#open.has(id)) {
      this.#error(id, { code: 'DUPLICATE_ID', message: `id ${JSON.stringify(id)} is already in use` });
      return;
    }
    if (this.#open.size >= MAX_OPEN_PER_CONNECTION) {
      const message = `at most ${MAX_OPEN_PER_CONNECTION} requests and subscriptions may be open at once`;
      this.#error(id, { code: 'LIMIT_EXCEEDED', message });
      return;
    }
    const params = (frame.params ?? {}) as Readonly<Record<string, unknown>>;
    if (isSubscription(method)) this.#subscribe(id, method, params);
    else void this.#request(id, method as RequestMethod, params);
  }

  #hello(frame: ReturnType<typeof parseClientFrame>): void {
    if (frame instanceof FrameError || frame.method !== 'hello') {
      const why = frame instanceof FrameError ? frame.message : `got ${frame.method}`;
      this.#refuse(frame.id, 'UNAUTHENTICATED', `the first frame must be hello with the token (${why})`);
      return;
    }
    const params = frame.params as HelloParams;
    if (params.protocol !== PROTOCOL_VERSION) {
      this.#refuse(
        frame.id,
        'PROTOCOL_VERSION',
        `this daemon speaks protocol ${PROTOCOL_VERSION}, the client ${params.protocol}`,
      );
      return;
    }
    const given = Buffer.from(params.token);
    const expected = this.#ctx.token;
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.#refuse(frame.id, 'UNAUTHENTICATED', 'wrong token');
      return;
    }
    clearTimeout(this.#helloTimer);
    this.#authenticated = true;
    this.#send({ id: frame.id, result: { protocol: PROTOCOL_VERSION, version: this.#ctx.version } });
  }

  async #request(
    id: FrameId,
    method: RequestMethod,
    params: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    this.#open.set(id, 'request');
    try {
      const result = await dispatch(method, params, this.#ctx);
      this.#open.delete(id);
      if (method !== 'daemon.shutdown') {
        this.#send({ id, result });
        return;
      }
      // Answer first, then ask for the shutdown once the answer is on its way.
      if (this.#ws.readyState !== this.#ws.OPEN) this.#ctx.onShutdownRequest();
      else this.#ws.send(JSON.stringify({ id, result }), () => this.#ctx.onShutdownRequest());
    } catch (error) {
      this.#open.delete(id);
      this.#error(id, toProtocolError(error));
    }
  }

  #subscribe(id: FrameId, method: SubscriptionMethod, params: Readonly<Record<string, unknown>>): void {
    const sub = new Subscription(id, this.#ws);
    let source: AsyncIterable<unknown>;
    try {
      source = sub.source(this.#ctx.worker, method, params);
    } catch (error) {
      this.#error(id, toProtocolError(error));
      return;
    }
    this.#open.set(id, sub);
    this.#send({ id, result: { subscribed: true } });
    void sub.pump(source).finally(() => {
      if (this.#open.get(id) === sub) this.#open.delete(id);
    });
  }

  /** Ends every subscription (`end` frames) and closes with 1001 (going away). */
  shutdown(): void {
    for (const entry of this.#open.values()) if (entry instanceof Subscription) entry.end();
    this.#open.clear();
    this.#ws.close(1001, 'daemon shutting down');
  }

  #closed(): void {
    clearTimeout(this.#helloTimer);
    for (const entry of this.#open.values()) if (entry instanceof Subscription) entry.end();
    this.#open.clear();
  }
}
