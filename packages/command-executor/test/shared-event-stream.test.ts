import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BUFFER_SIZE, DEFAULT_HISTORY, type EventReader, SharedEventStream } from '../src/index.js';

interface Tick {
  readonly type: 'tick';
  readonly n: number;
}
const tick = (n: number): Tick => ({ type: 'tick', n });

async function drain(reader: EventReader<Tick>): Promise<(number | string)[]> {
  const out: (number | string)[] = [];
  for await (const e of reader) out.push(e.type === 'tick' ? e.n : `lagged ${e.dropped}`);
  return out;
}

describe('SharedEventStream', () => {
  it('gives every reader every event in order, then ends them on close', async () => {
    const s = new SharedEventStream<Tick>();
    const a = s.subscribe();
    const b = s.subscribe();
    assert.equal(s.readerCount, 2);
    const done = Promise.all([drain(a), drain(b)]);
    for (let i = 0; i < 5; i++) s.push(tick(i));
    s.close();
    s.push(tick(99)); // ignored after close
    assert.deepEqual(await done, [
      [0, 1, 2, 3, 4],
      [0, 1, 2, 3, 4],
    ]);
    assert.equal(s.closed, true);
    assert.equal(s.readerCount, 0, 'ended readers are detached');
  });

  it('replays the last N to a late reader, or all the history holds', async () => {
    const s = new SharedEventStream<Tick>({ history: 3 });
    for (let i = 0; i < 10; i++) s.push(tick(i));
    const last2 = s.subscribe({ replay: 2 });
    const all = s.subscribe({ replay: 'all' });
    const none = s.subscribe();
    s.push(tick(10));
    s.close();
    assert.deepEqual(await drain(last2), [8, 9, 10]);
    assert.deepEqual(await drain(all), [7, 8, 9, 10]);
    assert.deepEqual(await drain(none), [10]);
    assert.deepEqual(
      s.recent(2).map((e) => e.n),
      [9, 10],
    );
    assert.deepEqual(await drain(s.subscribe({ replay: 'all' })), [8, 9, 10], 'a reader of a closed stream');
    assert.deepEqual(new SharedEventStream<Tick>({ history: 0 }).recent(), []);
  });

  it('has documented default bounds', () => {
    assert.equal(DEFAULT_HISTORY, 1000);
    assert.equal(DEFAULT_BUFFER_SIZE, 65_536);
    const s = new SharedEventStream<Tick>();
    for (let i = 0; i < 2500; i++) s.push(tick(i));
    assert.equal(s.recent(Number.MAX_SAFE_INTEGER).length, 1000);
    assert.equal(s.recent('all')[0]?.n, 1500);
  });

  it('drops the oldest for a reader past its bound and tells it with one lagged event', async () => {
    const s = new SharedEventStream<Tick>();
    const slow = s.subscribe({ bufferSize: 3 });
    const fast = s.subscribe();
    const fastDone = drain(fast);
    for (let i = 0; i < 10; i++) s.push(tick(i));
    assert.equal(slow.pending, 3);
    s.close();
    assert.deepEqual(await drain(slow), ['lagged 7', 7, 8, 9]);
    assert.deepEqual(await fastDone, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'the others lose nothing');
  });

  it('ends a reader when its signal aborts, and detaches it', async () => {
    const s = new SharedEventStream<Tick>();
    const abort = new AbortController();
    const reader = s.subscribe({ signal: abort.signal });
    const got: number[] = [];
    const done = (async () => {
      for await (const e of reader) if (e.type === 'tick') got.push(e.n);
    })();
    s.push(tick(1));
    await new Promise<void>((r) => setImmediate(r));
    abort.abort();
    await done;
    assert.deepEqual(got, [1]);
    assert.equal(s.readerCount, 0);
    s.push(tick(2));
    assert.equal(reader.pending, 0);
    const pre = s.subscribe({ signal: AbortSignal.abort() });
    assert.deepEqual(await pre.next(), { value: undefined, done: true }, 'an aborted signal ends it at once');
  });

  it('return() detaches a reader (also by break), and a waiting next() ends', async () => {
    const s = new SharedEventStream<Tick>();
    const r = s.subscribe();
    const waiting = r.next();
    await r.return();
    assert.deepEqual(await waiting, { value: undefined, done: true });
    assert.equal(s.readerCount, 0);
    const b = s.subscribe();
    s.push(tick(1));
    s.push(tick(2));
    for await (const e of b) {
      assert.deepEqual(e, tick(1));
      break;
    }
    assert.equal(s.readerCount, 0);
  });

  it('refuses concurrent next() on one reader', async () => {
    const s = new SharedEventStream<Tick>();
    const r = s.subscribe();
    const first = r.next();
    await assert.rejects(r.next(), /concurrently/);
    s.push(tick(1));
    assert.deepEqual(await first, { value: tick(1), done: false });
  });

  it('is async-iterable itself (a new reader each time)', async () => {
    const s = new SharedEventStream<Tick>();
    const got: unknown[] = [];
    const done = (async () => {
      for await (const e of s) got.push(e);
    })();
    s.push(tick(1));
    s.close();
    await done;
    assert.deepEqual(got, [tick(1)]);
  });

  it('keeps memory bounded for a reader that reads slowly over a long run', async () => {
    const s = new SharedEventStream<Tick>({ history: 10 });
    const r = s.subscribe({ bufferSize: 10_000 });
    let read = 0;
    for (let i = 0; i < 50_000; i++) {
      s.push(tick(i));
      if (i % 2 === 0) {
        const e = await r.next();
        assert.equal(e.done, false);
        read++;
      }
    }
    assert.ok(read > 0);
    assert.equal(r.pending, 10_000, 'never more than its bound waiting');
  });
});
