import { timingSafeEqual } from 'node:crypto';
import {
  type ClientFrame,
  type DaemonInfo,
  FrameCaller,
  FrameError,
  type FrameId,
  FrameResponder,
  type HelloParams,
  PROTOCOL_VERSION,
  ProtocolError,
  parseClientFrame,
  parsePeerFrame,
  type RequestHandler,
  type ServerFrame,
  toProtocolError,
  type WorkerRegisterParams,
} from '@harness/protocol';
import type { WebSocket } from 'ws';
import { type Hosts, WorkerLink } from './hosts.js';

/** A connection that has not said hello by then is closed. */
export const HELLO_TIMEOUT_MS = 10_000;

/** What every connection shares (internal). */
export interface ConnectionContext {
  readonly token: Buffer;
  readonly version: string;
  readonly hosts: Hosts;
  /** The routing handler every client request goes through. */
  readonly handler: RequestHandler;
  readonly info: () => DaemonInfo;
  readonly onShutdownRequest: () => void;
}

/**
 * One connection (internal): hello, then requests and subscriptions. A connection that sends
 * `worker.register` becomes the worker of a host: from then on the controller also sends it the
 * calls for that host, and the answer frames it sends back go to its {@link WorkerLink}.
 */
export class Connection {
  readonly #ws: WebSocket;
  readonly #ctx: ConnectionContext;
  readonly #address: string | undefined;
  readonly #responder: FrameResponder;
  readonly #helloTimer: NodeJS.Timeout;
  #authenticated = false;
  #link: WorkerLink | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, ctx: ConnectionContext, address: string | undefined) {
    this.#ws = ws;
    this.#ctx = ctx;
    this.#address = address;
    this.#responder = new FrameResponder(ws, ctx.handler);
    this.#helloTimer = setTimeout(
      () => this.#refuse(null, 'UNAUTHENTICATED', 'no hello in time'),
      HELLO_TIMEOUT_MS,
    );
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    // Oversized frames (maxPayload) and protocol violations: ws closes with 1009 / 1002 itself.
    ws.on('error', () => {});
    ws.once('close', (code: number, reason: Buffer) => this.#closed(code, reason));
  }

  #refuse(id: FrameId | null, code: 'UNAUTHENTICATED' | 'PROTOCOL_VERSION', message: string): void {
    clearTimeout(this.#helloTimer);
    this.#responder.error(id, { code, message });
    this.#ws.close(1008, code === 'UNAUTHENTICATED' ? 'unauthenticated' : 'protocol version');
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      const error = new FrameError('MALFORMED_FRAME', 'binary frames are not accepted: send JSON text', null);
      if (this.#authenticated) this.#responder.error(null, error);
      else this.#hello(error);
      return;
    }
    if (!this.#authenticated) {
      this.#hello(parseClientFrame(data));
      return;
    }
    if (this.#link === undefined) {
      this.#request(parseClientFrame(data));
      return;
    }
    // A worker: its frames are requests of its own, or answers to the calls sent to it.
    const peer = parsePeerFrame(data);
    if (peer.kind === 'response') this.#answer(this.#link, peer.frame);
    else this.#request(peer.frame);
  }

  /** An answer from this connection's worker: to its caller. A bad one fails only its own call. */
  #answer(link: WorkerLink, frame: ServerFrame | FrameError): void {
    if (!(frame instanceof FrameError)) {
      link.caller.handle(frame);
      return;
    }
    // Never answered with an error frame: its id is one of ours, the worker would take it for
    // the answer to a request of its own.
    if (frame.id !== null) {
      link.caller.fail(
        frame.id,
        new ProtocolError('INTERNAL', `the worker of host ${link.host} sent a bad answer: ${frame.message}`),
      );
    }
  }

  #request(frame: ClientFrame | FrameError): void {
    if (frame instanceof FrameError) {
      this.#responder.error(frame.id, frame);
      return;
    }
    if (frame.method === 'daemon.shutdown') {
      // Answer first, then ask for the shutdown once the answer is on its way.
      const answer = JSON.stringify({ id: frame.id, result: { ok: true } });
      if (this.#ws.readyState !== this.#ws.OPEN) this.#ctx.onShutdownRequest();
      else this.#ws.send(answer, () => this.#ctx.onShutdownRequest());
      return;
    }
    if (frame.method === 'worker.register') {
      this.#register(frame.id, frame.params as unknown as WorkerRegisterParams);
      return;
    }
    this.#responder.handle(frame);
  }

  #register(id: FrameId, params: WorkerRegisterParams): void {
    if (this.#link !== undefined) {
      const message = `this connection is already the worker of host ${this.#link.host}; one host per connection`;
      this.#responder.error(id, { code: 'HOST_TAKEN', message });
      return;
    }
    const caller = new FrameCaller((text) => {
      if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(text);
    });
    const link = new WorkerLink(params, this.#address, caller);
    try {
      const result = this.#ctx.hosts.register(link);
      this.#link = link;
      this.#responder.send({ id, result });
      this.#startHeartbeat();
    } catch (error) {
      this.#responder.error(id, toProtocolError(error));
    }
  }

  /** Pings the worker; one that did not answer the previous ping is cut (then WORKER_GONE). */
  #startHeartbeat(): void {
    let answered = true;
    this.#ws.on('pong', () => {
      answered = true;
    });
    this.#heartbeat = setInterval(() => {
      if (!answered) {
        this.#ws.terminate();
        return;
      }
      answered = false;
      this.#ws.ping();
    }, this.#ctx.hosts.heartbeatMs);
    this.#heartbeat.unref();
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
    this.#responder.send({
      id: frame.id,
      result: { protocol: PROTOCOL_VERSION, version: this.#ctx.version },
    });
  }

  /** Ends every subscription (`end` frames) and closes with 1001 (going away). */
  shutdown(): void {
    this.#responder.endAll();
    this.#ws.close(1001, 'daemon shutting down');
  }

  #closed(code: number, reason: Buffer): void {
    clearTimeout(this.#helloTimer);
    clearInterval(this.#heartbeat);
    this.#responder.closed();
    if (this.#link !== undefined) {
      const why = reason.length > 0 ? `${code}: ${reason.toString()}` : `${code}`;
      this.#ctx.hosts.unregister(this.#link, `connection closed, ${why}`);
    }
  }
}
