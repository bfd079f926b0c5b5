import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { ProtocolError, UnixWebSocket } from '../src/index.js';

/** A real `ws` server on a fresh Unix socket; resolves with it and its first connection. */
async function wsServer(t: TestContext, maxPayload = 1 << 20) {
  const dir = mkdtempSync(join(tmpdir(), 'harness-uws-'));
  const socketPath = join(dir, 's.sock');
  const wss = new WebSocketServer({ noServer: true });
  const http = (await import('node:http')).createServer();
  const connections: WebSocket[] = [];
  const connected = new Promise<WebSocket>((resolve) => {
    http.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        connections.push(ws);
        resolve(ws);
      }),
    );
  });
  await new Promise<void>((resolve) => http.listen(socketPath, resolve));
  t.after(() => {
    for (const c of connections) c.terminate();
    http.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = await UnixWebSocket.connect(socketPath, { maxPayload }, 5000);
  t.after(() => client.terminate());
  return { client, server: await connected, socketPath };
}

const nextMessage = (c: UnixWebSocket) =>
  new Promise<{ data: Buffer; binary: boolean }>((resolve) =>
    c.once('message', (data, binary) => resolve({ data, binary })),
  );

describe('UnixWebSocket against a ws server', () => {
  it('exchanges text messages of every length encoding, both ways', async (t) => {
    const { client, server } = await wsServer(t, 1 << 22);
    const received: string[] = [];
    server.on('message', (data: Buffer) => received.push(data.toString()));
    // 7-bit, 16-bit and 64-bit payload lengths.
    for (const text of ['hi', 'x'.repeat(300), 'y'.repeat(70_000)]) {
      const got = nextMessage(client);
      server.send(text);
      assert.equal((await got).data.toString(), text);
      client.send(text);
    }
    await new Promise<void>((resolve) => client.send('last', () => resolve()));
    while (received.length < 4) await once(server, 'message');
    assert.deepEqual(
      received.map((s) => s.length),
      [2, 300, 70_000, 4],
    );
  });

  it('joins a fragmented message and keeps its binary flag', async (t) => {
    const { client, server } = await wsServer(t);
    const got = nextMessage(client);
    server.send('one ', { fin: false });
    server.send('two ', { fin: false });
    server.send('three', { fin: true });
    assert.deepEqual(await got, { data: Buffer.from('one two three'), binary: false });
    const bin = nextMessage(client);
    server.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await bin).binary, true);
  });

  it('answers a ping with a pong carrying the same data', async (t) => {
    const { client, server } = await wsServer(t);
    const pinged = once(client, 'ping');
    const pong = once(server, 'pong');
    server.ping(Buffer.from('are you there'));
    await pinged;
    const [data] = (await pong) as [Buffer];
    assert.equal(data.toString(), 'are you there');
  });

  it('closes with the code and reason the server gives', async (t) => {
    const { client, server } = await wsServer(t);
    const closed = once(client, 'close');
    server.close(4001, 'go away');
    const [code, reason] = (await closed) as [number, Buffer];
    assert.equal(code, 4001);
    assert.equal(reason.toString(), 'go away');
    assert.equal(client.readyState, client.CLOSED);
  });

  it('sends its own close frame, which the server sees', async (t) => {
    const { client, server } = await wsServer(t);
    const seen = once(server, 'close');
    client.close(1000, 'bye');
    const [code, reason] = (await seen) as [number, Buffer];
    assert.equal(code, 1000);
    assert.equal(reason.toString(), 'bye');
    await once(client, 'close');
  });

  it('drops a message larger than maxPayload with 1009', async (t) => {
    const { client, server } = await wsServer(t, 1000);
    const closed = once(client, 'close');
    const serverSaw = once(server, 'close');
    server.send('z'.repeat(2000));
    const [code] = (await closed) as [number];
    assert.equal(code, 1009);
    await serverSaw;
  });

  it('pause() stops reading, so the server meets backpressure; resume() reads on', async (t) => {
    const { client, server } = await wsServer(t, 1 << 22);
    let got = 0;
    client.on('message', () => got++);
    client.pause();
    assert.equal(client.isPaused, true);
    const chunk = 'p'.repeat(64 * 1024);
    // Write until the server's socket holds data it cannot hand to the kernel.
    let sent = 0;
    while (server.bufferedAmount === 0 && sent < 10_000) {
      server.send(chunk);
      sent++;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.ok(server.bufferedAmount > 0, 'the server saw backpressure');
    assert.ok(got < sent);
    client.resume();
    while (got < sent) await once(client, 'message');
    assert.equal(got, sent);
  });
});

describe('UnixWebSocket against a raw server', () => {
  it('reassembles frames that arrive a few bytes at a time, headers split too', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-uws-'));
    const socketPath = join(dir, 'raw.sock');
    const texts = ['short', 'm'.repeat(300), 'l'.repeat(70_000)];
    const frames = texts.map((text) => {
      const body = Buffer.from(text);
      const n = body.length;
      const head =
        n < 126
          ? Buffer.from([0x81, n])
          : n < 0x10000
            ? Buffer.from([0x81, 126, n >> 8, n & 0xff])
            : Buffer.concat([
                Buffer.from([0x81, 127]),
                Buffer.alloc(4),
                Buffer.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]),
              ]);
      return Buffer.concat([head, body]);
    });
    const server: Server = createServer((s) =>
      s.once('data', async (req: Buffer) => {
        const key = /Sec-WebSocket-Key: (\S+)/i.exec(req.toString())?.[1] ?? '';
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        s.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        // The frames go once the client says so: its listener is on by then.
        await once(s, 'data');
        const all = Buffer.concat(frames);
        // Odd-sized pieces, each its own write and turn: frame and header boundaries fall inside them.
        for (let at = 0; at < all.length; at += at < 400 ? 3 : 4099) {
          s.write(all.subarray(at, Math.min(all.length, at + (at < 400 ? 3 : 4099))));
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }),
    );
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const client = await UnixWebSocket.connect(socketPath, { maxPayload: 1 << 20 }, 5000);
    t.after(() => {
      client.terminate();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const got: string[] = [];
    client.on('message', (data) => got.push(data.toString()));
    client.send('go');
    while (got.length < texts.length) await once(client, 'message');
    assert.deepEqual(got, texts);
  });
});

describe('UnixWebSocket.connect failures', () => {
  it('names the socket and hints at the daemon when nothing listens', async () => {
    const missing = join(tmpdir(), `harness-none-${process.pid}.sock`);
    await assert.rejects(UnixWebSocket.connect(missing, { maxPayload: 1000 }, 5000), (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.code, 'DAEMON_UNAVAILABLE');
      assert.match(e.message, new RegExp(`${missing.replaceAll('.', '\\.')}: ENOENT.*is the daemon running`));
      return true;
    });
  });

  it('refuses a server that does not upgrade', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-uws-'));
    const socketPath = join(dir, 'http.sock');
    const server: Server = createServer((s) =>
      s.once('data', () => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')),
    );
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    t.after(() => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await assert.rejects(UnixWebSocket.connect(socketPath, { maxPayload: 1000 }, 5000), (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.code, 'DAEMON_UNAVAILABLE');
      assert.match(e.message, /HTTP status 404/);
      return true;
    });
  });

  it('refuses a wrong Sec-WebSocket-Accept', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-uws-'));
    const socketPath = join(dir, 'bad.sock');
    const server: Server = createServer((s) =>
      s.once('data', () =>
        s.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBvbmU=\r\n\r\n',
        ),
      ),
    );
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    t.after(() => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await assert.rejects(
      UnixWebSocket.connect(socketPath, { maxPayload: 1000 }, 5000),
      /Sec-WebSocket-Accept/,
    );
  });
});
