import { once } from 'node:events';
import WebSocket from 'ws';

/** A raw WebSocket to the daemon's socket that reads frames in order (for hand-made frames). */
export class RawClient {
  readonly ws: WebSocket;
  readonly #frames: unknown[] = [];
  #wake: (() => void) | undefined;
  readonly closed: Promise<[number, Buffer]>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.#frames.push(JSON.parse(String(data)));
      this.#wake?.();
    });
    ws.on('error', () => {});
    this.closed = once(ws, 'close') as Promise<[number, Buffer]>;
  }

  static async open(socketPath: string): Promise<RawClient> {
    const ws = new WebSocket(`ws+unix://${socketPath}:/`);
    const client = new RawClient(ws);
    await once(ws, 'open');
    return client;
  }

  static async authed(socketPath: string, token: string): Promise<RawClient> {
    const c = await RawClient.open(socketPath);
    c.send({ id: 0, method: 'hello', params: { protocol: 1, token } });
    await c.next();
    return c;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  async next(): Promise<Record<string, unknown>> {
    for (;;) {
      const f = this.#frames.shift();
      if (f !== undefined) return f as Record<string, unknown>;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
