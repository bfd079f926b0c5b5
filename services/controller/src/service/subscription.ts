import type { FrameId, SubscriptionMethod, WorkerApi } from '@harness/protocol';
import type { WebSocket } from 'ws';
import { toProtocolError } from './dispatch.js';

/**
 * Bytes a connection may have queued for sending before subscription events are dropped for it.
 * The client then gets one `{ id, lagged: n }` frame once the backlog is written out (or before
 * the next event, or before `end`), so memory stays bounded while the count stays exact.
 */
export const SEND_HIGH_WATER_BYTES = 1024 * 1024;

/** One open subscription of a connection (internal). */
export class Subscription {
  readonly id: FrameId;
  readonly #ws: WebSocket;
  readonly #abort = new AbortController();
  #dropped = 0;
  #inFlight = 0;
  #ended = false;

  constructor(id: FrameId, ws: WebSocket) {
    this.id = id;
    this.#ws = ws;
  }

  /** The worker's stream for a subscription method; throws (synchronously) what the worker throws. */
  source(
    worker: WorkerApi,
    method: SubscriptionMethod,
    params: Readonly<Record<string, unknown>>,
  ): AsyncIterable<unknown> {
    const signal = this.#abort.signal;
    if (method === 'logs') {
      return worker.logs(params.stack as string, params.services as string[] | undefined, {
        ...(params.tail === undefined ? {} : { tail: params.tail as number }),
        ...(params.follow === undefined ? {} : { follow: params.follow as boolean }),
        signal,
      });
    }
    return worker.events({
      ...(params.stack === undefined ? {} : { stack: params.stack as string }),
      ...(params.replay === undefined ? {} : { replay: params.replay as number }),
      signal,
    });
  }

  /** Sends events until the source ends, then `end` (or an error frame if the source fails). */
  async pump(source: AsyncIterable<unknown>): Promise<void> {
    try {
      for await (const event of source) {
        if (this.#abort.signal.aborted) break;
        this.#send(event);
      }
      this.end();
    } catch (error) {
      if (this.#ended) return;
      this.#ended = true;
      const e = toProtocolError(error);
      this.#frame({ id: this.id, error: { code: e.code, message: e.message } });
      this.#abort.abort();
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
      // Written out: once all of ours are, a pending lagged count goes without waiting for an event.
      if (--this.#inFlight === 0 && !this.#ended) this.#flushLagged();
    });
  }

  /** Ends it now (cancel, shutdown, source done): `{ id, end: true }` once, and the source stopped. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#flushLagged();
    this.#frame({ id: this.id, end: true });
    this.#abort.abort();
  }
}
