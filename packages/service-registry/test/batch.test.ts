import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  FileStore,
  RegistryError,
  type RegistryStore,
  type ServiceRegistration,
  ServiceRegistry,
  type StoreEvent,
} from '../src/index.js';
import { readUntil, runFixture, stores, tempDir, within } from './helpers.js';

const code = (c: string) => (e: unknown) => e instanceof RegistryError && e.code === c;

const reg = (instance: number, more: Partial<ServiceRegistration> = {}): ServiceRegistration => ({
  stack: 'shop',
  service: 'web',
  instance,
  host: 'a',
  endpoints: [{ name: 'http', port: 8000 + instance }],
  ...more,
});

/** The put/delete events a store watch has delivered after its first snapshot. */
function changes(events: readonly StoreEvent[]): Array<Extract<StoreEvent, { type: 'put' | 'delete' }>> {
  return events.filter((e) => e.type === 'put' || e.type === 'delete');
}

/** Resolves once `store` has delivered a snapshot to a new watch on `prefix` (the subscription is live). */
async function watching(store: RegistryStore, prefix: string, into: StoreEvent[]): Promise<() => void> {
  let ready: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const stop = store.watch(prefix, (e) => {
    into.push(e);
    if (e.type === 'snapshot') ready();
  });
  await within(subscribed);
  return stop;
}

for (const [name, open] of stores) {
  describe(`RegistryStore.commit on ${name}`, () => {
    it('writes every put and delete of a batch as one revision', async (t) => {
      const store = await open(t);
      await store.put('k/gone', 'x');
      const before = (await store.list('')).revision;
      const { revision, results } = await store.commit([
        { type: 'put', key: 'k/a', value: 1 },
        { type: 'put', key: 'k/b', value: { two: 2 }, ifRevision: 0 },
        { type: 'delete', key: 'k/gone' },
        { type: 'delete', key: 'k/never' },
      ]);
      assert.equal(revision, before + 1);
      assert.deepEqual(
        results.map((r) => [r.key, r.previous?.value, r.entry?.value, r.entry?.modRevision]),
        [
          ['k/a', undefined, 1, revision],
          ['k/b', undefined, { two: 2 }, revision],
          ['k/gone', 'x', undefined, undefined],
          ['k/never', undefined, undefined, undefined],
        ],
      );
      const after = await store.list('k/');
      assert.equal(after.revision, revision);
      assert.deepEqual(
        after.entries.map((e) => [e.key, e.createRevision, e.modRevision]),
        [
          ['k/a', revision, revision],
          ['k/b', revision, revision],
        ],
      );
      await store.close();
    });

    it('makes no revision for an empty batch or one that only deletes absent keys', async (t) => {
      const store = await open(t);
      await store.put('k', 1);
      assert.deepEqual(await store.commit([]), { revision: 1, results: [] });
      const r = await store.commit([{ type: 'delete', key: 'none', ifRevision: 0 }]);
      assert.equal(r.revision, 1);
      assert.equal((await store.list('')).revision, 1);
      await store.close();
    });

    it('rejects the whole batch with CONFLICT when one precondition fails; nothing is written', async (t) => {
      const store = await open(t);
      const a = await store.put('k/a', 1);
      const b = await store.put('k/b', 1);
      await store.put('k/b', 2); // b moves on
      const before = await store.list('');
      await assert.rejects(
        store.commit([
          { type: 'put', key: 'k/a', value: 10, ifRevision: a.modRevision },
          { type: 'put', key: 'k/c', value: 10, ifRevision: 0 },
          { type: 'delete', key: 'k/b', ifRevision: b.modRevision },
        ]),
        (e: unknown) => {
          assert.ok(code('CONFLICT')(e));
          assert.equal((e as RegistryError).key, 'k/b');
          assert.equal((e as RegistryError).revision, b.modRevision + 1);
          return true;
        },
      );
      await assert.rejects(
        store.commit([
          { type: 'put', key: 'k/new', value: 1 },
          { type: 'put', key: 'k/a', value: 1, ifRevision: 0 },
        ]),
        (e: unknown) => code('CONFLICT')(e) && (e as RegistryError).key === 'k/a',
      );
      assert.deepEqual(await store.list(''), before);
      await store.close();
    });

    it('rejects a malformed batch with INVALID listing every problem', async (t) => {
      const store = await open(t);
      const bad = [
        { type: 'put', key: 'k', value: 1 },
        { type: 'put', key: 'k', value: 2 },
        { type: 'move', key: '' },
        { type: 'put', key: 'v' },
        { type: 'delete', key: 'd', ifRevision: -1 },
      ] as unknown as Parameters<RegistryStore['commit']>[0];
      await assert.rejects(store.commit(bad), (e: unknown) => {
        assert.ok(code('INVALID')(e));
        assert.equal((e as RegistryError).problems.length, 5, (e as RegistryError).problems.join('\n'));
        return true;
      });
      assert.equal((await store.list('')).revision, 0);
      await store.close();
    });

    it('tells watchers every change of a batch, in order, all with its revision, after the whole batch', async (t) => {
      const store = await open(t);
      await store.put('k/old', 0);
      const events: StoreEvent[] = [];
      const partial: string[] = [];
      let stop: () => void = () => {};
      // A listener reading the state while being told: it must see the whole batch already.
      const seen = new Promise<void>((resolve) => {
        stop = store.watch('k/', (e) => {
          events.push(e);
          if (e.type === 'put' && e.entry.key === 'k/a') {
            void store.get('k/c').then((c) => {
              if (c?.value !== 3) partial.push(`k/c is ${JSON.stringify(c?.value)}`);
            });
          }
          if (e.type === 'delete') resolve();
        });
      });
      await store.put('other', 1); // outside the prefix
      const { revision } = await store.commit([
        { type: 'put', key: 'k/a', value: 1 },
        { type: 'put', key: 'k/b', value: 2 },
        { type: 'put', key: 'other', value: 2 },
        { type: 'put', key: 'k/c', value: 3 },
        { type: 'delete', key: 'k/old' },
      ]);
      await within(seen);
      assert.equal(events[0]?.type, 'snapshot');
      assert.deepEqual(
        changes(events).map((e) => [e.type, e.type === 'put' ? e.entry.key : e.key, e.revision]),
        [
          ['put', 'k/a', revision],
          ['put', 'k/b', revision],
          ['put', 'k/c', revision],
          ['delete', 'k/old', revision],
        ],
      );
      await store.get('k/a');
      assert.deepEqual(partial, []);
      stop();
      await store.close();
    });
  });

  describe(`ServiceRegistry.apply on ${name}`, () => {
    it('registers and deregisters as one revision and returns the records in order', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const old = await registry.register(reg(9));
      const { revision, records } = await registry.apply([
        { register: reg(0) },
        { register: reg(1, { state: 'running' }) },
        { deregister: old.key },
        { deregister: { stack: 'shop', service: 'web', instance: 7 } },
      ]);
      assert.equal(revision, old.revision + 1);
      assert.equal(records.length, 4);
      assert.deepEqual(records[0], await registry.get('shop/web/0'));
      assert.equal(records[0]?.revision, revision);
      assert.equal(records[1]?.state, 'running');
      assert.deepEqual(records[2], old);
      assert.equal(records[3], undefined);
      assert.deepEqual(
        (await registry.list()).map((r) => [r.key, r.revision]),
        [
          ['shop/web/0', revision],
          ['shop/web/1', revision],
        ],
      );
      assert.deepEqual(await registry.apply([]), { revision, records: [] });
      await registry.close();
    });

    it('writes nothing when one registration is invalid, and lists every problem of every op', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.register(reg(5));
      const before = await registry.store.list('');
      const ops = [
        { register: reg(0) },
        { register: reg(1, { state: 'sleeping' as 'running', restarts: -1 }) },
        { register: reg(2, { stack: 'shop/x' }) },
        { deregister: 'shop/web' },
        { deregister: 'shop/web/5', revision: 1.5 },
        { register: reg(0) },
        { nothing: true },
      ] as unknown as Parameters<ServiceRegistry['apply']>[0];
      await assert.rejects(registry.apply(ops), (e: unknown) => {
        assert.ok(code('INVALID')(e));
        const problems = (e as RegistryError).problems;
        assert.deepEqual(
          problems.map((p) => /^ops\[(\d)\]/.exec(p)?.[1]),
          ['1', '1', '2', '3', '4', '5', '6'],
          problems.join('\n'),
        );
        assert.match(problems[0]!, /^ops\[1\] \(shop\/web\/1\): state must be one of/);
        assert.match(problems[5]!, /shop\/web\/0 appears twice/);
        return true;
      });
      assert.deepEqual(await registry.store.list(''), before);
      await registry.close();
    });

    it('refuses the whole batch with CONFLICT: a taken key without replace, a stale deregister', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const taken = await registry.register(reg(0));
      const moved = await registry.update(taken.key, { state: 'running' });
      const before = await registry.store.list('');
      await assert.rejects(registry.apply([{ register: reg(1) }, { register: reg(0) }]), (e: unknown) => {
        assert.ok(code('CONFLICT')(e));
        assert.equal((e as RegistryError).key, 'shop/web/0');
        assert.equal((e as RegistryError).revision, moved.revision);
        assert.match((e as RegistryError).message, /already registered/);
        return true;
      });
      await assert.rejects(
        registry.apply([{ register: reg(1) }, { deregister: taken.key, revision: taken.revision }]),
        (e: unknown) =>
          code('CONFLICT')(e) &&
          (e as RegistryError).key === 'shop/web/0' &&
          (e as RegistryError).revision === moved.revision,
      );
      assert.deepEqual(await registry.store.list(''), before);
      const ok = await registry.apply([
        { register: reg(0, { state: 'healthy' }), replace: true },
        { register: reg(1) },
      ]);
      assert.equal(ok.records[0]?.state, 'healthy');
      const gone = await registry.apply([{ deregister: 'shop/web/1', revision: ok.revision }]);
      assert.equal(gone.records[0]?.key, 'shop/web/1');
      await registry.close();
    });

    it('shows a watcher each change of a batch, with the batch revision', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.register(reg(0));
      const watch = registry.watch({ stack: 'shop' });
      await within(readUntil(watch, (c) => c.type === 'synced'));
      const { revision } = await registry.apply([
        { register: reg(1) },
        { register: reg(2) },
        { register: reg(0, { state: 'running' }), replace: true },
        { register: reg(3, { stack: 'blog' }) },
      ]);
      const second = await registry.apply([{ deregister: 'shop/web/1' }, { deregister: 'shop/web/2' }]);
      const seen = await within(readUntil(watch, (_, all) => all.length === 5));
      assert.deepEqual(
        seen.map((c) => (c.type === 'put' || c.type === 'delete' ? [c.type, c.record.key, c.revision] : c)),
        [
          ['put', 'shop/web/1', revision],
          ['put', 'shop/web/2', revision],
          ['put', 'shop/web/0', revision],
          ['delete', 'shop/web/1', second.revision],
          ['delete', 'shop/web/2', second.revision],
        ],
      );
      await watch.return();
      await registry.close();
    });
  });
}

describe('FileStore batches', () => {
  it('writes a batch as one log file, read back by another instance', async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir);
    await store.put('x', 0);
    const { revision } = await store.commit([
      { type: 'put', key: 'a', value: 1 },
      { type: 'put', key: 'b', value: 2 },
      { type: 'delete', key: 'x' },
    ]);
    assert.equal(revision, 2);
    assert.deepEqual(await readdir(join(dir, 'log')), ['0000000000000001.json', '0000000000000002.json']);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'log', '0000000000000002.json'), 'utf8')), {
      revision: 2,
      ops: [
        { type: 'put', key: 'a', value: 1 },
        { type: 'put', key: 'b', value: 2 },
        { type: 'delete', key: 'x' },
      ],
    });
    const other = await FileStore.open(dir);
    assert.deepEqual(await other.list(''), await store.list(''));
    await other.close();
    await store.close();
  });

  it('compacts on the revision count, a batch counting as one', async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { compactEvery: 3 });
    const batch = (n: number) =>
      store.commit(Array.from({ length: 10 }, (_, i) => ({ type: 'put' as const, key: `k/${i}`, value: n })));
    await batch(1);
    await batch(2);
    assert.deepEqual(await readdir(join(dir, 'snapshots')), []);
    await batch(3);
    assert.deepEqual(await readdir(join(dir, 'snapshots')), ['0000000000000003.json']);
    assert.deepEqual(await readdir(join(dir, 'log')), []);
    const reopened = await FileStore.open(dir);
    assert.deepEqual(await reopened.list(''), await store.list(''));
    await reopened.close();
    await store.close();
  });

  it('loses no batch when two instances on one folder race, and a watcher never sees half a batch', async (t) => {
    const dir = await tempDir(t);
    const [one, two, reader] = await Promise.all([
      FileStore.open(dir),
      FileStore.open(dir),
      FileStore.open(dir),
    ]);
    const events: StoreEvent[] = [];
    const stop = await watching(reader, '', events);
    const size = 5;
    const rounds = 40;
    const writer = async (store: FileStore, who: string) => {
      const revisions: number[] = [];
      for (let n = 1; n <= rounds; n++) {
        const writes = Array.from({ length: size }, (_, i) => ({
          type: 'put' as const,
          key: `${who}/${i}`,
          value: n,
        }));
        revisions.push((await store.commit(writes)).revision);
      }
      return revisions;
    };
    const [a, b] = await within(Promise.all([writer(one, 'a'), writer(two, 'b')]), 60_000);
    const all = [...a, ...b].sort((x, y) => x - y);
    assert.deepEqual(
      all,
      Array.from({ length: 2 * rounds }, (_, i) => i + 1),
      'every batch got its own revision, none was lost or doubled',
    );
    const last = await reader.list(''); // catches the reader up: its watcher has been told everything
    assert.equal(last.revision, 2 * rounds);
    for (const e of last.entries) assert.equal(e.value, rounds, e.key);
    // The reader's watcher saw every revision as a whole batch of one writer, in order.
    assert.deepEqual(
      events.map((e) => e.type),
      ['snapshot', ...Array.from({ length: 2 * rounds * size }, () => 'put')],
    );
    const byRevision = new Map<number, string[]>();
    for (const e of changes(events)) {
      const keys = byRevision.get(e.revision) ?? [];
      keys.push(e.type === 'put' ? e.entry.key : e.key);
      byRevision.set(e.revision, keys);
    }
    assert.deepEqual([...byRevision.keys()], all);
    for (const [revision, keys] of byRevision) {
      const who = revision === a.find((r) => r === revision) ? 'a' : 'b';
      assert.deepEqual(
        keys,
        Array.from({ length: size }, (_, i) => `${who}/${i}`),
        `revision ${revision}`,
      );
    }
    stop();
    await Promise.all([one.close(), two.close(), reader.close()]);
  });

  it('loses no increment when two processes race conditional batches on one folder', async (t) => {
    const dir = await tempDir(t);
    const keys = ['c/a', 'c/b', 'c/c'];
    const outs = await within(
      Promise.all([
        runFixture('batch-counter.ts', [dir, '100', '20', ...keys]),
        runFixture('batch-counter.ts', [dir, '100', '20', ...keys]),
      ]),
      120_000,
    );
    const store = await FileStore.open(dir);
    const { entries, revision } = await store.list('c/');
    assert.deepEqual(
      entries.map((e) => [e.key, e.value, e.modRevision]),
      keys.map((k) => [k, { n: 200 }, revision]),
    );
    assert.equal(revision, 200, 'one revision per batch');
    const conflicts = outs.map((o) => (JSON.parse(o) as { conflicts: number }).conflicts);
    t.diagnostic(`conflicts seen by the two writers: ${conflicts.join(', ')}`);
    await store.close();
  });
});
