import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RegistryChange, RegistryError, type RegistryWatch, ServiceRegistry } from '../src/index.js';
import { readUntil, stores, within } from './helpers.js';

const base = { stack: 'shop', service: 'api', host: 'a' } as const;

for (const [name, open] of stores) {
  describe(`watch on ${name}`, () => {
    it('starts with a snapshot of matching records, then synced, then live changes', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.register({ ...base, instance: 0 });
      await registry.register({ ...base, stack: 'blog' });
      const watch = registry.watch({ stack: 'shop' });
      const first = await within(readUntil(watch, (c) => c.type === 'synced'));
      assert.deepEqual(
        first.map((c) => (c.type === 'put' ? c.record.key : c.type)),
        ['shop/api/0', 'synced'],
      );
      const added = await registry.register({ ...base, instance: 1 });
      const [live] = await within(readUntil(watch, () => true));
      assert.deepEqual(live, { type: 'put', record: added, revision: added.revision });
      await registry.deregister(added.key);
      const [gone] = await within(readUntil(watch, () => true));
      assert.equal(gone?.type, 'delete');
      await watch.return();
      await registry.close();
    });

    it('has no gap and no duplicate while writers run concurrently', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const keys = [0, 1, 2, 3].map((i) => `shop/api/${i}`);
      for (let i = 0; i < 4; i++) await registry.register({ ...base, instance: i });
      const written: number[] = [];
      let started: (w: RegistryWatch) => void = () => {};
      const ready = new Promise<RegistryWatch>((resolve) => {
        started = resolve;
      });
      const writer = async (key: string) => {
        for (let n = 0; n < 30; n++) {
          written.push((await registry.update(key, (r) => ({ restarts: r.restarts + 1 }))).revision);
          // Start the watch in the middle of the writes, whatever the store's speed.
          if (written.length === 40) started(registry.watch({ stack: 'shop' }));
        }
      };
      const writers = Promise.all(keys.map(writer));
      const watch = await within(ready);
      const seen = await within(
        readUntil(watch, (_, all) => {
          const i = all.findIndex((c) => c.type === 'synced');
          return (
            i >= 0 && all.slice(i).filter((c) => c.type === 'put' && c.record.restarts === 30).length === 4
          );
        }),
      );
      await writers;
      const synced = seen.find((c) => c.type === 'synced');
      assert.ok(synced?.type === 'synced');
      const live = seen.slice(seen.indexOf(synced) + 1).map((c) => (c.type === 'put' ? c.revision : -1));
      const expected = written.filter((r) => r > synced.revision).sort((a, b) => a - b);
      assert.ok(expected.length > 0, 'some writes came after the snapshot');
      assert.deepEqual(live, expected, 'every write after the snapshot, once, in order');
      const snapshot = seen.slice(0, seen.indexOf(synced));
      assert.equal(snapshot.length, 4);
      for (const c of snapshot) assert.ok(c.type === 'put' && c.revision <= synced.revision);
      await watch.return();
      await registry.close();
    });

    it('turns leaving the filter into a delete with the new record', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.register({ ...base, state: 'healthy' });
      const watch = registry.watch({ state: 'healthy' });
      await within(readUntil(watch, (c) => c.type === 'synced'));
      await registry.update('shop/api/0', { state: 'unhealthy' });
      await registry.update('shop/api/0', { state: 'healthy' });
      const changes = await within(readUntil(watch, (_, all) => all.length === 2));
      assert.deepEqual(
        changes.map((c) => (c.type === 'put' || c.type === 'delete' ? [c.type, c.record.state] : [c.type])),
        [
          ['delete', 'unhealthy'],
          ['put', 'healthy'],
        ],
      );
      await watch.return();
      await registry.close();
    });

    it('marks an overflowing reader lagged and resyncs it to the current state', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.register({ ...base, instance: 0 });
      await registry.register({ ...base, instance: 1 });
      const watch = registry.watch({ stack: 'shop' }, { bufferSize: 3 });
      await within(readUntil(watch, (c) => c.type === 'synced'));
      for (let n = 1; n <= 5; n++) await registry.update('shop/api/0', { restarts: n });
      await registry.deregister('shop/api/1');
      await registry.register({ ...base, instance: 2 });
      assert.equal(watch.pending, 0, 'the overflow dropped the queue');
      const changes = await within(readUntil(watch, (c) => c.type === 'synced'));
      const summary = changes.map((c: RegistryChange) =>
        c.type === 'lagged'
          ? `lagged ${c.dropped}`
          : c.type === 'synced'
            ? 'synced'
            : `${c.type} ${c.record.key}`,
      );
      assert.deepEqual(summary, [
        'lagged 4',
        'delete shop/api/1',
        'put shop/api/0',
        'put shop/api/2',
        'synced',
      ]);
      const zero = changes.find((c) => c.type === 'put' && c.record.key === 'shop/api/0');
      assert.ok(zero?.type === 'put' && zero.record.restarts === 5);
      await watch.return();
      await registry.close();
    });

    it('ends on abort, on return() and when the registry closes', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const controller = new AbortController();
      const aborted = registry.watch({}, { signal: controller.signal });
      await within(readUntil(aborted, (c) => c.type === 'synced'));
      const pending = aborted.next();
      controller.abort();
      assert.deepEqual(await within(pending), { value: undefined, done: true });

      const already = registry.watch({}, { signal: AbortSignal.abort() });
      assert.equal((await already.next()).done, true);

      const returned = registry.watch();
      for await (const change of returned) if (change.type === 'synced') break;
      assert.equal((await returned.next()).done, true);

      const closing = registry.watch();
      await within(readUntil(closing, (c) => c.type === 'synced'));
      const last = closing.next();
      await registry.close();
      assert.equal((await within(last)).done, true);
    });

    it('rejects a bad bufferSize or filter with INVALID', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const invalid = (e: unknown) => e instanceof RegistryError && e.code === 'INVALID';
      assert.throws(() => registry.watch({}, { bufferSize: 0 }), invalid);
      assert.throws(() => registry.watch({ stack: 'a/b' }), invalid);
      await registry.close();
    });
  });
}
