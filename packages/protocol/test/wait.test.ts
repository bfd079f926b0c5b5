// `logs` with `wait: true`: nothing is dropped end to end. A real writer (`seq`, as fast as it
// can) feeds a FrameResponder on a real WebSocket over a Unix socket; its stdout is read only as
// fast as the subscription takes lines, so backpressure reaches the process itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { StampedLogLine } from '@harness/service-orchestration';
import { WebSocketServer } from 'ws';
import {
  BATCH_MAX_LINES,
  batchLogLines,
  expandLogBatch,
  FrameError,
  FrameResponder,
  HarnessClient,
  isLagged,
  isLogBatch,
  PROTOCOL_VERSION,
  parseClientFrame,
  type RequestHandler,
  type WorkerApi,
  workerHandler,
} from '../src/index.js';

/** The lines `seq 1 n` writes, read at the reader's pace; the process is killed when it stops. */
async function* seqLines(n: number, signal: AbortSignal | undefined, pulled: { count: number }) {
  const child = spawn('seq', ['1', String(n)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  signal?.addEventListener('abort', kill, { once: true });
  let rest = '';
  let offset = 0;
  try {
    for await (const chunk of child.stdout) {
      const text = rest + String(chunk);
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        offset += line.length + 1;
        pulled.count++;
        yield { service: 'gen', instance: 0, line, offset, time: Date.now() } satisfies StampedLogLine;
      }
    }
  } finally {
    signal?.removeEventListener('abort', kill);
    kill();
  }
}

/** A worker whose only log is `seq 1 n`. */
function seqWorker(n: number, pulled: { count: number }): WorkerApi {
  const none = (): never => {
    throw new Error('not in this test');
  };
  return {
    up: none,
    down: none,
    start: none,
    stop: none,
    restart: none,
    status: () => [],
    stacks: () => ['s'],
    logs: (_stack, _services, options) => seqLines(n, options.signal, pulled),
    events: none,
  };
}

/** A small daemon: hello, then every frame through a FrameResponder with `handler`. */
async function daemon(t: TestContext, handler: RequestHandler): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'proto-wait-'));
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => {
    const responder = new FrameResponder(ws, handler);
    let hello = false;
    ws.on('message', (data: Buffer) => {
      const frame = parseClientFrame(data);
      if (frame instanceof FrameError) return responder.error(frame.id, frame);
      if (!hello) {
        hello = true;
        return responder.send({ id: frame.id, result: { protocol: PROTOCOL_VERSION, version: 't' } });
      }
      responder.handle(frame);
    });
    ws.on('close', () => responder.closed());
  });
  const socketPath = join(dir, 'd.sock');
  http.listen(socketPath);
  await once(http, 'listening');
  t.after(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    http.close();
    await once(http, 'close');
    rmSync(dir, { recursive: true, force: true });
  });
  return socketPath;
}

/** Counts the events a handler's subscriptions hand to the responder (one frame each). */
function counting(handler: RequestHandler, frames: { count: number }): RequestHandler {
  return {
    request: (method, params) => handler.request(method, params),
    subscribe: async (method, params, signal) => {
      const source = await handler.subscribe(method, params, signal);
      return (async function* () {
        for await (const item of source) {
          frames.count++;
          yield item;
        }
      })();
    },
  };
}

describe('logs with wait', { timeout: 120_000 }, () => {
  it('delivers every line of a fast writer, in order, several per frame', async (t) => {
    const n = 300_000;
    const pulled = { count: 0 };
    const frames = { count: 0 };
    const socketPath = await daemon(t, counting(workerHandler(seqWorker(n, pulled)), frames));
    const client = await HarnessClient.connect({ socketPath }, { token: 'any', queueLimit: 1000 });
    t.after(() => client.close());
    let expected = 1;
    for await (const item of client.subscribe('logs', { stack: 's', follow: true, wait: true })) {
      assert.ok(!isLagged(item), `lost ${JSON.stringify(item)} before line ${expected}`);
      assert.equal(item.line, String(expected));
      assert.equal(item.service, 'gen');
      // A consumer slower than the writer now and then: the queue fills, the socket is paused.
      if (expected % 50_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      expected++;
    }
    assert.equal(expected - 1, n, 'every line, none twice');
    assert.ok(frames.count < n / 100, `${frames.count} frames for ${n} lines`);
  });

  it('a reader that stops holds the source back, loses nothing, and the daemon answers others', async (t) => {
    const n = 1_000_000;
    const pulled = { count: 0 };
    const socketPath = await daemon(t, workerHandler(seqWorker(n, pulled)));
    const stalled = await HarnessClient.connect({ socketPath }, { token: 'any', queueLimit: 1000 });
    const other = await HarnessClient.connect({ socketPath }, { token: 'any' });
    t.after(() => Promise.all([stalled.close(), other.close()]));
    const lines = client(stalled);
    // Read one line, then nothing: the client's queue fills, it pauses the socket, the daemon's
    // send backlog passes its mark and it stops pulling from the writer.
    assert.equal(await lines.next(), '1');
    assert.deepEqual(await other.request('stack.list'), ['s'], 'the daemon answers another client');
    assert.ok(
      pulled.count < n,
      `the source was read to its end (${pulled.count} lines) for a reader that stopped`,
    );
    let expected = 2;
    for (let line = await lines.next(); line !== undefined; line = await lines.next()) {
      assert.equal(line, String(expected++));
    }
    assert.equal(expected - 1, n);
  });

  it('batches consecutive lines of one instance; a batch expands to the same lines', async () => {
    const lines: StampedLogLine[] = [];
    for (let i = 1; i <= BATCH_MAX_LINES + 10; i++)
      lines.push({ service: 'a', instance: 0, line: `a${i}`, offset: i * 10, time: 5 });
    lines.push({ service: 'b', instance: 1, line: 'b1', offset: 3, time: 6 });
    lines.push({ service: 'a', instance: 0, line: 'a-last', offset: 99_999, time: 7 });
    const batches = [];
    for await (const b of batchLogLines(
      (async function* () {
        yield* lines;
      })(),
    ))
      batches.push(b);
    assert.deepEqual(
      batches.map((b) => [b.service, b.lines.length]),
      [
        ['a', BATCH_MAX_LINES],
        ['a', 10],
        ['b', 1],
        ['a', 1],
      ],
    );
    assert.ok(batches.every(isLogBatch));
    const key = (l: StampedLogLine) => `${l.service}.${l.instance} ${l.line} @${l.offset}`;
    assert.deepEqual(batches.flatMap((b) => expandLogBatch(b)).map(key), lines.map(key));
    assert.deepEqual(
      batches.map((b) => b.time),
      [5, 5, 6, 7],
      'a batch has the time of its first line',
    );
    assert.equal(isLogBatch({ service: 'a', instance: 0, time: 1, lines: ['x'], ends: [] }), false);
  });
});

/** The lines of a wait subscription, one `next()` at a time (undefined at the end). */
function client(c: HarnessClient): { next(): Promise<string | undefined> } {
  const it = c.subscribe('logs', { stack: 's', follow: true, wait: true })[Symbol.asyncIterator]();
  return {
    next: async () => {
      const r = await it.next();
      if (r.done === true) return undefined;
      if (isLagged(r.value)) assert.fail(`lost ${r.value.lagged} lines`);
      return r.value.line;
    },
  };
}
