import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MAX_FRAME_BYTES } from '@harness/protocol';
import { FakeWorker } from './fake-worker.js';
import { start } from './helpers.js';
import { RawClient } from './raw.js';

/** Deterministic pseudo-random numbers, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

const good = JSON.stringify({ id: 1, method: 'stack.up', params: { stack: { name: 's', services: [] } } });

function malformed(i: number, rnd: () => number): string | Buffer {
  switch (i % 10) {
    case 0:
      return randomBytes(1 + Math.floor(rnd() * 200));
    case 1:
      return good.slice(0, Math.floor(rnd() * good.length));
    case 2:
      return JSON.stringify([i, 'x', null][i % 3]);
    case 3:
      return JSON.stringify({ id: 'x'.repeat(129 + i), method: 'status' });
    case 4:
      return JSON.stringify({ id: i, method: `m${i}` });
    case 5:
      return JSON.stringify({ id: i, method: 'logs', params: { stack: i, tail: -i } });
    case 6:
      return JSON.stringify({ id: { n: i }, method: 'status' });
    case 7:
      return JSON.stringify({ id: i, method: 'stack.up', params: { stack: { name: '', services: [i] } } });
    case 8:
      return JSON.stringify({ id: 1e300, method: 'cancel', params: { id: [] } });
    default:
      return JSON.stringify({ id: i, method: 'service.stop', params: { stack: 's', services: 'web' } });
  }
}

describe('fuzz', () => {
  it('600 malformed frames get typed errors while another client is served; then oversized → 1009', async (t) => {
    const worker = new FakeWorker();
    const d = await start(t, worker, { listen: false });
    const socketPath = d.run.endpoint.socketPath ?? '';
    const bad = await RawClient.authed(socketPath, d.token);
    const client = await d.unix();
    const rnd = prng(42);
    const codes = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      bad.send(malformed(i, rnd));
      const answer = await bad.next();
      const error = answer.error as { code: string } | undefined;
      assert.ok(error !== undefined, `frame ${i} got an error frame`);
      codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      if (i % 50 === 0) assert.deepEqual(await client.request('stack.list'), []);
    }
    assert.deepEqual([...codes.keys()].sort(), ['INVALID_PARAMS', 'MALFORMED_FRAME', 'UNKNOWN_METHOD']);
    // Still usable after all that.
    bad.send({ id: 'ok', method: 'stack.list' });
    assert.deepEqual(await bad.next(), { id: 'ok', result: [] });
    bad.send(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20).toString());
    const [code] = await bad.closed;
    assert.equal(code, 1009);
    assert.deepEqual(await client.request('stack.list'), []);
    const fresh = await d.unix();
    assert.deepEqual(await fresh.request('stack.list'), []);
  });
});
