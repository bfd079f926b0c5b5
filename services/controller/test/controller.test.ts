import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HarnessClient, isLagged, ProtocolError } from '@harness/protocol';
import { serviceSpec } from '@harness/service-orchestration';
import { FakeWorker, stateEvent } from './fake-worker.js';
import { start } from './helpers.js';
import { RawClient } from './raw.js';

const shop = {
  name: 'shop',
  services: [
    serviceSpec({ name: 'web', target: { kind: 'process', command: ['node', 'web.js'] } }),
    serviceSpec({ name: 'db', target: { kind: 'process', command: ['db'] } }),
  ],
};

describe('hello', () => {
  it('refuses a first frame that is not hello, a wrong token, a wrong protocol', async (t) => {
    const d = await start(t, new FakeWorker(), { listen: false });
    const socketPath = d.run.endpoint.socketPath ?? '';
    const cases: [unknown, string][] = [
      [{ id: 1, method: 'status' }, 'UNAUTHENTICATED'],
      [{ id: 1, method: 'hello', params: { protocol: 1 } }, 'UNAUTHENTICATED'],
      [{ id: 1, method: 'hello', params: { protocol: 1, token: 'f'.repeat(64) } }, 'UNAUTHENTICATED'],
      [{ id: 1, method: 'hello', params: { protocol: 1, token: 'short' } }, 'UNAUTHENTICATED'],
      [{ id: 1, method: 'hello', params: { protocol: 2, token: d.token } }, 'PROTOCOL_VERSION'],
      ['not json', 'UNAUTHENTICATED'],
    ];
    for (const [frame, code] of cases) {
      const raw = await RawClient.open(socketPath);
      raw.send(frame);
      const answer = await raw.next();
      assert.equal((answer.error as { code: string }).code, code, JSON.stringify(frame));
      const [closeCode] = await raw.closed;
      assert.equal(closeCode, 1008);
    }
    await assert.rejects(HarnessClient.connect({ socketPath }, { token: 'nope' }), {
      code: 'UNAUTHENTICATED',
    });
    const good = await d.unix();
    assert.deepEqual(good.server, { protocol: 1, version: '9.9.9' });
  });

  it('WSS: a client pinning another fingerprint refuses the daemon', async (t) => {
    const d = await start(t, new FakeWorker(), { socket: false });
    await assert.rejects(
      HarnessClient.connect(
        { url: d.run.endpoint.url ?? '', certFingerprint: '00'.repeat(32) },
        { token: d.token },
      ),
      { code: 'CERTIFICATE_MISMATCH' },
    );
    assert.equal(d.run.endpoint.socketPath, undefined);
  });
});

describe('requests', () => {
  for (const transport of ['unix', 'wss'] as const) {
    it(`answer over ${transport}`, async (t) => {
      const worker = new FakeWorker();
      const d = await start(t, worker);
      const client = transport === 'unix' ? await d.unix() : await d.wss();
      const up = await client.request('stack.up', { stack: shop });
      assert.deepEqual(
        up.services.map((s) => s.service),
        ['web', 'db'],
      );
      assert.deepEqual(await client.request('stack.list'), ['shop']);
      assert.deepEqual(await client.request('status', { stack: 'shop' }), []);
      const started = await client.request('service.start', {
        stack: 'shop',
        services: ['web', 'db', 'web'],
      });
      assert.deepEqual(started, {
        ok: true,
        services: [
          { service: 'web', ok: true, state: 'running' },
          { service: 'db', ok: true, state: 'running' },
        ],
      });
      assert.deepEqual(await client.request('service.stop', { stack: 'shop', services: ['web'] }), {
        ok: true,
      });
      assert.equal((await client.request('service.restart', { stack: 'shop', services: ['db'] })).ok, true);
      assert.deepEqual(await client.request('stack.down', { stack: 'shop' }), { ok: true });
      assert.deepEqual(worker.calls, [
        'up shop',
        'start shop/web',
        'start shop/db',
        'start shop/web',
        'stop shop/web',
        'restart shop/db',
        'start shop/db',
      ]);
      const info = await client.request('daemon.info');
      assert.equal(info.version, '9.9.9');
      assert.equal(info.protocol, 1);
      assert.equal(info.pid, process.pid);
      assert.equal(info.home, d.home);
    });
  }

  it('map worker errors to protocol codes, anything else to INTERNAL', async (t) => {
    const d = await start(t, new FakeWorker(), { listen: false, info: () => ({ httpUrl: 'http://x' }) });
    const client = await d.unix();
    await assert.rejects(client.request('status', { stack: 'nope' }), { code: 'UNKNOWN_STACK' });
    await client.request('stack.up', { stack: shop });
    await assert.rejects(client.request('service.stop', { stack: 'shop', services: ['x'] }), {
      code: 'UNKNOWN_SERVICE',
      message: 'no service named x in stack shop',
    });
    await assert.rejects(client.request('stack.up', { stack: { name: 'boom', services: [] } }), {
      code: 'INTERNAL',
      message: 'disk on fire',
    });
    assert.equal((await client.request('daemon.info')).httpUrl, 'http://x');
  });

  it('answers a bad frame with a typed error and keeps the connection usable', async (t) => {
    const d = await start(t, new FakeWorker(), { listen: false });
    const raw = await RawClient.authed(d.run.endpoint.socketPath ?? '', d.token);
    raw.send('{"id":5,"method":"stak.list"}');
    assert.deepEqual(await raw.next(), {
      id: 5,
      error: { code: 'UNKNOWN_METHOD', message: 'no method named "stak.list" (did you mean "stack.list"?)' },
    });
    raw.send(Buffer.from([1, 2, 3]));
    assert.equal(((await raw.next()).error as { code: string }).code, 'MALFORMED_FRAME');
    raw.ws.send(Buffer.from('{"id":1}'), { binary: true });
    assert.deepEqual((await raw.next()).id, null);
    raw.send({ id: 6, method: 'hello', params: { protocol: 1, token: d.token } });
    assert.equal(((await raw.next()).error as { code: string }).code, 'MALFORMED_FRAME');
    raw.send({ id: 7, method: 'stack.list' });
    assert.deepEqual(await raw.next(), { id: 7, result: [] });
  });

  it('refuses an id that is already open with DUPLICATE_ID', async (t) => {
    const worker = new FakeWorker();
    const d = await start(t, worker, { listen: false });
    const raw = await RawClient.authed(d.run.endpoint.socketPath ?? '', d.token);
    raw.send({ id: 'e', method: 'events', params: {} });
    assert.deepEqual(await raw.next(), { id: 'e', result: { subscribed: true } });
    raw.send({ id: 'e', method: 'stack.list' });
    assert.equal(((await raw.next()).error as { code: string }).code, 'DUPLICATE_ID');
    raw.send({ id: 'c', method: 'cancel', params: { id: 'e' } });
    assert.deepEqual(await raw.next(), { id: 'e', end: true });
    assert.deepEqual(await raw.next(), { id: 'c', result: { ok: true } });
  });

  it('daemon.shutdown answers, then asks the embedder to stop', async (t) => {
    let asked!: () => void;
    const shutdown = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const d = await start(t, new FakeWorker(), { listen: false, onShutdownRequest: () => asked() });
    const client = await d.unix();
    assert.deepEqual(await client.request('daemon.shutdown'), { ok: true });
    await shutdown;
  });
});

describe('subscriptions', () => {
  it('logs: the lines, then end', async (t) => {
    const worker = new FakeWorker();
    const d = await start(t, worker, { listen: false });
    const client = await d.unix();
    await client.request('stack.up', { stack: shop });
    const lines: string[] = [];
    for await (const l of client.subscribe('logs', { stack: 'shop', tail: 4 }))
      if (!isLagged(l)) lines.push(l.line);
    assert.deepEqual(lines, ['line 0', 'line 1', 'line 2', 'line 3']);
    await assert.rejects(
      async () => {
        for await (const _ of client.subscribe('logs', { stack: 'nope' })) assert.fail('no line expected');
      },
      { code: 'UNKNOWN_STACK' },
    );
  });

  it('events: two subscribers at once, each until it cancels', async (t) => {
    const worker = new FakeWorker();
    const d = await start(t, worker);
    const a = (await d.unix()).subscribe('events', { stack: 'shop' })[Symbol.asyncIterator]();
    const b = (await d.wss()).subscribe('events', {})[Symbol.asyncIterator]();
    // Subscribed once the worker has both listeners: a request after each subscribe tells us.
    while (worker.eventListeners < 2) await (await d.unix()).request('stack.list');
    worker.emit(stateEvent('other', 1));
    worker.emit(stateEvent('shop', 2));
    assert.deepEqual((await a.next()).value, stateEvent('shop', 2));
    assert.deepEqual((await b.next()).value, stateEvent('other', 1));
    assert.deepEqual((await b.next()).value, stateEvent('shop', 2));
    await a.return?.();
    worker.emit(stateEvent('shop', 3));
    assert.deepEqual((await b.next()).value, stateEvent('shop', 3));
    await b.return?.();
  });

  it('ends subscriptions with end frames and closes clients with 1001 when run stops', async (t) => {
    const worker = new FakeWorker();
    const d = await start(t, worker, { listen: false });
    const raw = await RawClient.authed(d.run.endpoint.socketPath ?? '', d.token);
    raw.send({ id: 1, method: 'events', params: {} });
    assert.deepEqual(await raw.next(), { id: 1, result: { subscribed: true } });
    d.controller.abort();
    assert.deepEqual(await raw.next(), { id: 1, end: true });
    const [code] = await raw.closed;
    assert.equal(code, 1001);
    await d.done;
  });

  it('a client that stops reading loses events, not memory: lagged tells it how many', async (t) => {
    const worker = new FakeWorker();
    const d = await start(t, worker, { listen: false });
    const raw = await RawClient.authed(d.run.endpoint.socketPath ?? '', d.token);
    raw.send({ id: 1, method: 'events', params: {} });
    await raw.next();
    // Stop reading at the socket level so the daemon's send buffer fills.
    const socket = (raw.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const big = 'x'.repeat(64 * 1024);
    const last = new Promise<void>((resolve) => {
      worker.delivered.on('event', (e: { time: number }) => {
        if (e.time === 199) resolve();
      });
    });
    for (let i = 0; i < 200; i++) worker.emit(stateEvent('s', i, big));
    await last; // The daemon has handled all 200 (sent or dropped) while the client read nothing.
    socket.resume();
    let events = 0;
    let lagged = 0;
    while (events + lagged < 200) {
      const f = await raw.next();
      if ('lagged' in f) lagged += f.lagged as number;
      else events++;
    }
    worker.emit(stateEvent('s', 999));
    assert.deepEqual(await raw.next(), { id: 1, event: stateEvent('s', 999) });
    assert.ok(lagged > 0, 'some events were dropped');
  });
});

describe('ProtocolError', () => {
  it('is what the client throws', async (t) => {
    const d = await start(t, new FakeWorker(), { listen: false });
    const client = await d.unix();
    const e = await client.request('stack.down', { stack: 'x' }).catch((err: unknown) => err);
    assert.ok(e instanceof ProtocolError);
  });
});
