// A tiny stand-in daemon for the client tests: real WebSocket servers (Unix socket or TLS), with
// scripted answers. The real daemon is tested in services/controller.
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';

export interface Received {
  readonly id: string | number;
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

export type Handler = (frame: Received, ws: WebSocket) => void;

export interface TestServer {
  readonly socketPath: string;
  readonly url?: string;
  readonly frames: Received[];
  readonly sockets: Set<WebSocket>;
  /** Resolves with the next frame whose method is `method`. */
  next(method: string): Promise<Received>;
}

export async function startTestServer(
  t: TestContext,
  handler: Handler,
  tls?: { key: string; cert: string },
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'proto-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server: Server = tls === undefined ? createHttpServer() : createHttpsServer(tls);
  const wss = new WebSocketServer({ server });
  const frames: Received[] = [];
  const sockets = new Set<WebSocket>();
  const waiters: { method: string; resolve: (f: Received) => void }[] = [];
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Received;
      frames.push(frame);
      const i = waiters.findIndex((w) => w.method === frame.method);
      if (i >= 0) waiters.splice(i, 1)[0]?.resolve(frame);
      if (frame.method === 'hello') {
        if (frame.params?.token === 'silent') return;
        if (frame.params?.token === 'good')
          ws.send(JSON.stringify({ id: frame.id, result: { protocol: 1, version: 't' } }));
        else {
          ws.send(JSON.stringify({ id: frame.id, error: { code: 'UNAUTHENTICATED', message: 'bad token' } }));
          ws.close(1008, 'unauthenticated');
        }
        return;
      }
      handler(frame, ws);
    });
  });
  const socketPath = join(dir, 's.sock');
  let url: string | undefined;
  if (tls === undefined) {
    server.listen(socketPath);
  } else {
    server.listen(0, '127.0.0.1');
  }
  await once(server, 'listening');
  if (tls !== undefined) {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    url = `wss://127.0.0.1:${address.port}`;
  }
  t.after(async () => {
    for (const ws of sockets) ws.terminate();
    wss.close();
    server.close();
    await once(server, 'close');
  });
  return {
    socketPath,
    ...(url === undefined ? {} : { url }),
    frames,
    sockets,
    next: (method) => new Promise((resolve) => waiters.push({ method, resolve })),
  };
}
