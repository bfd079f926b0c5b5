// Standalone workers at the protocol level: hand-made worker connections (RawClient) register a
// host and answer — or fail to answer — the calls the controller sends them. The real worker
// service over WSS is tested in services/worker (test/standalone.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLagged, ProtocolError } from '@harness/protocol';
import { LINE_OVERHEAD, WAIT_HOLD_BYTES } from '../src/service/log-hold.js';
import { FakeWorker } from './fake-worker.js';
import { start } from './helpers.js';
import { RawClient } from './raw.js';

type Frame = Record<string, unknown>;

/** A hand-made worker: hello, then `worker.register` for `host`. */
async function rawWorker(socketPath: string, token: string, host: string): Promise<RawClient> {
  const raw = await RawClient.authed(socketPath, token);
  raw.send({ id: 'reg', method: 'worker.register', params: { host, version: '0.0.1', pid: 4242 } });
  const answer = await raw.next();
  assert.equal(answer.id, 'reg');
  assert.ok('result' in answer, JSON.stringify(answer));
  return raw;
}

/** The next frame the controller sends the raw worker that is a call (has a method). */
async function nextCall(raw: RawClient): Promise<Frame & { id: number; method: string; params: Frame }> {
  for (;;) {
    const f = await raw.next();
    if (typeof f.method === 'string') return f as Frame & { id: number; method: string; params: Frame };
  }
}

/** A `LogBatch` of `count` lines numbered from `from`: each the number, dot-padded to 100 characters. */
function batchOf(from: number, count: number): Frame {
  const lines: string[] = [];
  const ends: number[] = [];
  for (let i = from; i < from + count; i++) {
    lines.push(String(i).padStart(100, '.'));
    ends.push(i === from ? (from + 1) * 101 : 101);
  }
  return { service: 'web', instance: 0, time: 1, lines, ends };
}

/**
 * The raw worker sends subscription `id` the lines numbered `from` to `to` (excluded) in batches
 * of 500; resolves once the controller has read them all (it answered a request sent after them).
 */
async function sendLines(w: RawClient, id: number, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 500) w.send({ id, event: batchOf(i, Math.min(500, to - i)) });
  w.send({ id: 'sync', method: 'daemon.info', params: {} });
  for (;;) if ((await w.next()).id === 'sync') return;
}

/**
 * Reads a raw client's frames until the lines up to `to` (excluded) are accounted for: each line
 * must be `at.next`, a `lagged` count skips that many. Returns the counts.
 */
async function readLines(c: RawClient, at: { next: number }, to: number): Promise<number[]> {
  const lost: number[] = [];
  while (at.next < to) {
    const f = await c.next();
    if (typeof f.lagged === 'number') {
      lost.push(f.lagged);
      at.next += f.lagged;
      continue;
    }
    assert.ok(f.event !== undefined, JSON.stringify(f));
    for (const line of (f.event as { lines: string[] }).lines) {
      if (line !== String(at.next).padStart(100, '.')) assert.fail(`line ${at.next} is ${line}`);
      at.next++;
    }
  }
  return lost;
}

describe('standalone workers (protocol level)', () => {
  it('routes calls to the only registered worker, strips host, lists it', async (t) => {
    const d = await start(t, undefined, { listen: false, heartbeatMs: 60_000 });
    const socket = d.run.endpoint.socketPath ?? '';
    const client = await d.unix();
    await assert.rejects(client.request('stack.list'), {
      code: 'NO_WORKER',
      message: /no worker is registered/,
    });
    assert.deepEqual((await client.request('daemon.info')).hosts, []);

    const w = await rawWorker(socket, d.token, 'edge-1');
    const hosts = await client.request('hosts.list');
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0]?.host, 'edge-1');
    assert.equal(hosts[0]?.state, 'connected');
    assert.equal(hosts[0]?.local, false);
    assert.equal(hosts[0]?.pid, 4242);
    assert.deepEqual((await client.request('daemon.info')).hosts, ['edge-1']);

    const listed = client.request('stack.list', { host: 'edge-1' });
    const call = await nextCall(w);
    assert.equal(call.method, 'stack.list');
    assert.deepEqual(call.params, {}, 'host is not forwarded');
    w.send({ id: call.id, result: ['shop'] });
    assert.deepEqual(await listed, ['shop']);

    const status = client.request('status', { stack: 'nope' });
    const call2 = await nextCall(w);
    w.send({ id: call2.id, error: { code: 'UNKNOWN_STACK', message: 'no stack named nope' } });
    await assert.rejects(status, { code: 'UNKNOWN_STACK', message: 'no stack named nope' });

    await assert.rejects(client.request('status', { host: 'edge-7' }), {
      code: 'UNKNOWN_HOST',
      message: 'no worker for host "edge-7" (known: edge-1)',
    });
  });

  it('forwards subscriptions both ways: subscribed, events, lagged, end, cancel', async (t) => {
    const d = await start(t, undefined, { listen: false, heartbeatMs: 60_000 });
    const w = await rawWorker(d.run.endpoint.socketPath ?? '', d.token, 'edge-1');
    const client = await d.unix();
    const abort = new AbortController();
    const it1 = client
      .subscribe('events', { stack: 'shop' }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    const first = it1.next();
    const call = await nextCall(w);
    assert.equal(call.method, 'events');
    assert.deepEqual(call.params, { stack: 'shop' });
    w.send({ id: call.id, result: { subscribed: true } });
    w.send({ id: call.id, event: { type: 'state', n: 1 } });
    w.send({ id: call.id, lagged: 5 });
    w.send({ id: call.id, event: { type: 'state', n: 2 } });
    assert.deepEqual((await first).value, { type: 'state', n: 1 });
    const second = (await it1.next()).value;
    assert.ok(isLagged(second) && second.lagged === 5, JSON.stringify(second));
    assert.deepEqual((await it1.next()).value, { type: 'state', n: 2 });
    abort.abort();
    const cancel = await nextCall(w);
    assert.equal(cancel.method, 'cancel');
    assert.deepEqual(cancel.params, { id: call.id });

    // A refusal comes back as the subscription's error, before any event.
    const logs = client.subscribe('logs', { stack: 'nope' })[Symbol.asyncIterator]();
    const refused = logs.next();
    const call2 = await nextCall(w);
    w.send({ id: call2.id, error: { code: 'UNKNOWN_STACK', message: 'no stack named nope' } });
    await assert.rejects(refused, { code: 'UNKNOWN_STACK' });

    // The worker's end ends the client's subscription.
    const ended = client.subscribe('logs', { stack: 'shop', tail: 1 })[Symbol.asyncIterator]();
    const line = ended.next();
    const call3 = await nextCall(w);
    w.send({ id: call3.id, result: { subscribed: true } });
    w.send({ id: call3.id, event: { line: 'x' } });
    w.send({ id: call3.id, end: true });
    assert.deepEqual((await line).value, { line: 'x' });
    assert.deepEqual(await ended.next(), { done: true, value: undefined });
  });

  it('refuses a host name that is taken, and a second registration on one connection', async (t) => {
    const d = await start(t, new FakeWorker(), { listen: false, host: 'here', heartbeatMs: 60_000 });
    const socket = d.run.endpoint.socketPath ?? '';
    const w = await rawWorker(socket, d.token, 'edge-1');
    const other = await RawClient.authed(socket, d.token);
    other.send({ id: 1, method: 'worker.register', params: { host: 'edge-1', version: '1' } });
    const taken = await other.next();
    assert.equal((taken.error as { code: string }).code, 'HOST_TAKEN');
    assert.match(
      (taken.error as { message: string }).message,
      /host "edge-1" is already registered .*pid 4242/,
    );
    other.send({ id: 2, method: 'worker.register', params: { host: 'here', version: '1' } });
    assert.match(((await other.next()).error as { message: string }).message, /this controller's own worker/);
    w.send({ id: 'again', method: 'worker.register', params: { host: 'edge-2', version: '1' } });
    const again = await w.next();
    assert.equal((again.error as { code: string }).code, 'HOST_TAKEN');
    assert.match((again.error as { message: string }).message, /already the worker of host edge-1/);
    other.send({ id: 3, method: 'worker.register', params: { host: 'bad host', version: '1' } });
    assert.equal(((await other.next()).error as { code: string }).code, 'INVALID_PARAMS');

    // With a worker of its own, calls without host go there; host routes elsewhere.
    const client = await d.unix();
    assert.deepEqual(await client.request('stack.list'), []);
    assert.deepEqual(await client.request('stack.list', { host: 'here' }), []);
    assert.deepEqual(
      (await client.request('hosts.list')).map((h) => [h.host, h.local, h.state]),
      [
        ['here', true, 'connected'],
        ['edge-1', false, 'connected'],
      ],
    );
  });

  it('with several workers, a call must name its host', async (t) => {
    const d = await start(t, undefined, { listen: false, heartbeatMs: 60_000 });
    const socket = d.run.endpoint.socketPath ?? '';
    const a = await rawWorker(socket, d.token, 'a');
    await rawWorker(socket, d.token, 'b');
    const client = await d.unix();
    await assert.rejects(client.request('stack.list'), {
      code: 'NO_WORKER',
      message: /several workers are registered \(a, b\): name one with the host param/,
    });
    const listed = client.request('stack.list', { host: 'a' });
    const call = await nextCall(a);
    a.send({ id: call.id, result: ['from-a'] });
    assert.deepEqual(await listed, ['from-a']);
  });

  it('a worker that goes away fails its pending calls with WORKER_GONE, and the next ones', async (t) => {
    const d = await start(t, undefined, { listen: false, heartbeatMs: 60_000 });
    const socket = d.run.endpoint.socketPath ?? '';
    const w = await rawWorker(socket, d.token, 'edge-1');
    const client = await d.unix();
    const pending = client.request('stack.down', { stack: 'shop' });
    const sub = client.subscribe('logs', { stack: 'shop', follow: true })[Symbol.asyncIterator]();
    const firstLine = sub.next();
    await nextCall(w);
    const subCall = await nextCall(w);
    w.send({ id: subCall.id, result: { subscribed: true } });
    w.ws.terminate();
    await assert.rejects(pending, {
      code: 'WORKER_GONE',
      message: /the worker of host edge-1 went away \(connection closed, 1006\) before answering/,
    });
    await assert.rejects(firstLine, { code: 'WORKER_GONE' });
    await assert.rejects(client.request('status'), {
      code: 'WORKER_GONE',
      message: /the worker of host edge-1 went away at .* and has not registered again/,
    });
    await assert.rejects(client.request('status', { host: 'edge-1' }), { code: 'WORKER_GONE' });
    const hosts = await client.request('hosts.list');
    assert.deepEqual(
      hosts.map((h) => [h.host, h.state]),
      [['edge-1', 'gone']],
    );
    // It comes back under the same name: calls reach it again.
    const back = await rawWorker(socket, d.token, 'edge-1');
    const listed = client.request('stack.list');
    const call = await nextCall(back);
    back.send({ id: call.id, result: [] });
    assert.deepEqual(await listed, []);
    assert.deepEqual((await client.request('daemon.info')).hosts, ['edge-1']);
  });

  it('malformed frames from a worker fail only the call they answer; the controller serves on', async (t) => {
    const d = await start(t, undefined, { listen: false, heartbeatMs: 60_000 });
    const w = await rawWorker(d.run.endpoint.socketPath ?? '', d.token, 'edge-1');
    const client = await d.unix();
    w.send('not json at all');
    assert.equal(((await w.next()).error as { code: string }).code, 'MALFORMED_FRAME');
    w.ws.send(Buffer.from([0xff, 0x00]), { binary: true });
    assert.equal(((await w.next()).error as { code: string }).code, 'MALFORMED_FRAME');
    w.send({ id: 999, result: 'for nobody' }); // an answer to nothing: ignored
    w.send({ id: null, error: { code: 'INTERNAL', message: 'about nothing' } }); // ignored

    const status = client.request('status');
    const call = await nextCall(w);
    w.send({ id: call.id, result: 1, event: 2 }); // two kinds at once
    await assert.rejects(status, (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.code, 'INTERNAL');
      assert.match(e.message, /the worker of host edge-1 sent a bad answer: frame must have exactly one of/);
      return true;
    });
    const sub = client.subscribe('events', {})[Symbol.asyncIterator]();
    const first = sub.next();
    const subCall = await nextCall(w);
    w.send({ id: subCall.id, result: { subscribed: true } });
    w.send({ id: subCall.id, lagged: -3 }); // a bad count fails the subscription
    await assert.rejects(first, { code: 'INTERNAL', message: /"lagged" must be a positive integer/ });

    // The worker still takes calls, the controller still answers everyone.
    const listed = client.request('stack.list');
    const call2 = await nextCall(w);
    w.send({ id: call2.id, result: ['ok'] });
    assert.deepEqual(await listed, ['ok']);
    assert.equal((await (await d.unix()).request('hosts.list'))[0]?.state, 'connected');
  });

  it('logs with wait goes to the worker with wait; a client slower than the worker gets every line the controller holds, then a count of the newest it dropped', async (t) => {
    const d = await start(t, undefined, { listen: false, heartbeatMs: 60_000 });
    const socket = d.run.endpoint.socketPath ?? '';
    const w = await rawWorker(socket, d.token, 'edge-1');
    const c = await RawClient.authed(socket, d.token);
    t.after(() => c.ws.terminate());
    c.send({ id: 1, method: 'logs', params: { stack: 'shop', follow: true, wait: true } });
    const call = await nextCall(w);
    assert.equal(call.method, 'logs');
    assert.deepEqual(call.params, { stack: 'shop', follow: true, wait: true }, 'wait is passed on');
    w.send({ id: call.id, result: { subscribed: true } });
    assert.deepEqual(await c.next(), { id: 1, result: { subscribed: true } });
    const clientSocket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    const at = { next: 0 };

    // 60 000 lines (8 MB held) while the client reads nothing: the link still takes other calls.
    clientSocket.pause();
    await sendLines(w, call.id, 0, 60_000);
    const other = await d.unix();
    const listed = other.request('stack.list', { host: 'edge-1' });
    const listCall = await nextCall(w);
    w.send({ id: listCall.id, result: ['shop'] });
    assert.deepEqual(await listed, ['shop']);
    clientSocket.resume();
    assert.deepEqual(await readLines(c, at, 60_000), [], 'every line within the hold arrives');

    // 200 000 more (26 MB held): past the hold, the newest are dropped, counted in one place.
    clientSocket.pause();
    await sendLines(w, call.id, 60_000, 260_000);
    clientSocket.resume();
    const lost = await readLines(c, at, 260_000);
    assert.equal(lost.length, 1, `one run of lost lines: ${lost.join(', ')}`);
    const delivered = 200_000 - (lost[0] ?? 0);
    const perLine = 100 + LINE_OVERHEAD;
    assert.ok(delivered < 200_000, 'nothing was dropped');
    assert.ok(
      delivered >= Math.floor(WAIT_HOLD_BYTES / perLine) - 500,
      `${delivered} held, fewer than the hold takes`,
    );

    // Then lines flow again, and a cancel reaches the worker.
    await sendLines(w, call.id, 260_000, 261_000);
    assert.deepEqual(await readLines(c, at, 261_000), []);
    c.send({ id: 2, method: 'cancel', params: { id: 1 } });
    const cancel = await nextCall(w);
    assert.equal(cancel.method, 'cancel');
    assert.deepEqual(cancel.params, { id: call.id });
  });

  it('cuts a worker that stops answering pings: its calls get WORKER_GONE', async (t) => {
    const d = await start(t, undefined, { listen: false, heartbeatMs: 50 });
    const w = await rawWorker(d.run.endpoint.socketPath ?? '', d.token, 'edge-1');
    const client = await d.unix();
    const pending = client.request('stack.list');
    await nextCall(w);
    // Stop reading at the socket level: pings are not seen, so no pong goes back.
    (w.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await assert.rejects(pending, { code: 'WORKER_GONE', message: /host edge-1/ });
  });
});
