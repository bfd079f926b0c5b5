import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectWhenQuiet } from '../src/idle-gc.js';

/** A heap whose size the test sets, and which reports each time the collector looks at it. */
function fakeHeap(initial: number) {
  let used = initial;
  let onLook: (() => void) | undefined;
  return {
    set: (n: number) => {
      used = n;
    },
    used: () => {
      const look = onLook;
      onLook = undefined;
      look?.();
      return used;
    },
    /** Resolves at the collector's next look at the heap (the quiet timer fired). */
    nextLook: () =>
      new Promise<void>((resolve) => {
        onLook = resolve;
      }),
  };
}

/** The collector's timer does not keep the process alive: hold the event loop while `p` pends. */
async function alive<T>(p: Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 60_000);
  try {
    return await p;
  } finally {
    clearInterval(hold);
  }
}

describe('collectWhenQuiet', () => {
  it('collects once after a burst of activity, when the heap grew', async () => {
    const heap = fakeHeap(10_000_000);
    let collections = 0;
    let collected!: () => void;
    const done = new Promise<void>((resolve) => {
      collected = resolve;
    });
    const touch = collectWhenQuiet({
      gc: () => {
        collections++;
        heap.set(11_000_000);
        collected();
      },
      quietMs: 5,
      minGrowthBytes: 1_000_000,
      heapUsed: heap.used,
    });
    heap.set(20_000_000);
    for (let i = 0; i < 100; i++) touch();
    await alive(done);
    assert.equal(collections, 1);
  });

  it('does not collect when the heap did not grow enough since the last collection', async () => {
    const heap = fakeHeap(10_000_000);
    let collections = 0;
    const touch = collectWhenQuiet({
      gc: () => collections++,
      quietMs: 5,
      minGrowthBytes: 1_000_000,
      heapUsed: heap.used,
    });
    heap.set(10_500_000);
    const looked = heap.nextLook();
    touch();
    await alive(looked);
    assert.equal(collections, 0);
  });

  it('waits for the quiet: activity during the wait pushes the collection back', async () => {
    const heap = fakeHeap(0);
    const order: string[] = [];
    let collected!: () => void;
    const done = new Promise<void>((resolve) => {
      collected = resolve;
    });
    const touch = collectWhenQuiet({
      gc: () => {
        order.push('gc');
        collected();
      },
      quietMs: 1000,
      minGrowthBytes: 1,
      heapUsed: heap.used,
    });
    heap.set(100);
    touch();
    // Keep touching on every turn until 10 touches are in: no collection may come between them.
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      order.push('touch');
      touch();
    }
    await alive(done);
    assert.deepEqual(order, [...Array(10).fill('touch'), 'gc']);
  });
});
