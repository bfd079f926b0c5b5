import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileStore, RegistryError, type StoreEvent, ServiceRegistry } from '../src/index.js';
import { readUntil, runFixture, tempDir, within } from './helpers.js';

const corrupt = (file: string) => (e: unknown) =>
  e instanceof RegistryError && e.code === 'STORE_CORRUPT' && e.file === file && e.message.includes(file);

describe('FileStore', () => {
  it('keeps every record across a reopen', async (t) => {
    const dir = await tempDir(t);
    const first = await ServiceRegistry.open({ dir });
    await first.registerHost({ name: 'a', address: '10.0.0.1', network: 'lan' });
    const rec = await first.register({
      stack: 'shop',
      service: 'db',
      host: 'a',
      endpoints: [{ name: 'pg', port: 5432 }],
    });
    const up = await first.update(rec.key, { state: 'healthy', meta: { note: 'warm' } });
    await first.register({ stack: 'shop', service: 'gone', host: 'a' });
    await first.deregister('shop/gone/0');
    await first.close();
    const again = await ServiceRegistry.open({ dir });
    assert.deepEqual(await again.list(), [up]);
    assert.equal((await again.getHost('a'))?.address, '10.0.0.1');
    const next = await again.update(rec.key, { restarts: 1 });
    assert.ok(next.revision > up.revision, 'revisions continue after a reopen');
    await again.close();
  });

  it('compacts into a snapshot, deletes the log it covers, and reopens from it', async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { compactEvery: 5 });
    for (let n = 0; n < 12; n++) await store.put(`k/${n % 3}`, { n });
    await store.delete('k/0');
    assert.deepEqual(await readdir(join(dir, 'snapshots')), ['0000000000000010.json']);
    assert.deepEqual(await readdir(join(dir, 'log')), [
      '0000000000000011.json',
      '0000000000000012.json',
      '0000000000000013.json',
    ]);
    const before = await store.list('');
    await store.close();
    const reopened = await FileStore.open(dir, { compactEvery: 5 });
    assert.deepEqual(await reopened.list(''), before);
    assert.equal(reopened.revision, 13);
    await reopened.close();
  });

  it('resyncs a watcher of another instance that fell behind a compaction', async (t) => {
    const dir = await tempDir(t);
    const reader = await FileStore.open(dir);
    const writer = await FileStore.open(dir, { compactEvery: 3 });
    const events: StoreEvent[] = [];
    await writer.put('k/a', 1);
    const stop = reader.watch('k/', (e) => events.push(e));
    await reader.get('k/a'); // the subscription has run once this resolves
    stop(); // stop listening to file events; the reader misses what follows
    for (let n = 2; n <= 6; n++) await writer.put('k/a', n);
    await writer.delete('k/a');
    await writer.put('k/b', 7);
    const seen: StoreEvent[] = [];
    reader.watch('k/', (e) => seen.push(e));
    assert.equal((await reader.get('k/b'))?.value, 7);
    assert.equal(events[0]?.type, 'snapshot');
    const [snapshot] = seen;
    assert.ok(snapshot?.type === 'snapshot');
    assert.deepEqual(
      snapshot.entries.map((e) => [e.key, e.value]),
      [['k/b', 7]],
    );
    await reader.close();
    await writer.close();
  });

  it('names the corrupt file with STORE_CORRUPT: a log entry, a snapshot, the format file', async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { compactEvery: 2 });
    await store.put('a', 1);
    await store.put('b', 2);
    await store.put('c', 3);
    await store.close();
    const entry = join(dir, 'log', '0000000000000003.json');
    await writeFile(entry, '{"revision": 3, "ops": [');
    await assert.rejects(FileStore.open(dir), corrupt(entry));
    await writeFile(entry, '{"revision": 3, "ops": [{"type": "move"}]}');
    await assert.rejects(FileStore.open(dir), corrupt(entry));
    await writeFile(entry, '{"revision": 4, "ops": []}');
    await assert.rejects(FileStore.open(dir), corrupt(entry));
    const snapshot = join(dir, 'snapshots', '0000000000000002.json');
    await writeFile(snapshot, '{"revision": 2, "entries": [{"key": 1}]}');
    await assert.rejects(FileStore.open(dir), corrupt(snapshot));
    await writeFile(snapshot, '[]');
    await assert.rejects(FileStore.open(dir), corrupt(snapshot));
    const format = join(dir, 'FORMAT');
    await writeFile(format, '{"format": "something-else", "version": 9}');
    await assert.rejects(FileStore.open(dir), corrupt(format));
  });

  it('reports a stored value that is not a record as STORE_CORRUPT', async (t) => {
    const store = await FileStore.open(await tempDir(t));
    await store.put('services/shop/api/0', 'not a record');
    await store.put('hosts/a', 42);
    const registry = new ServiceRegistry(store);
    const isCorrupt = (e: unknown) => e instanceof RegistryError && e.code === 'STORE_CORRUPT';
    await assert.rejects(registry.get('shop/api/0'), isCorrupt);
    await assert.rejects(registry.getHost('a'), isCorrupt);
    await registry.close();
  });

  it('rejects a bad compactEvery with INVALID and removes dead processes\u2019 temp files', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(
      FileStore.open(dir, { compactEvery: 0 }),
      (e) => e instanceof RegistryError && e.code === 'INVALID',
    );
    await (await FileStore.open(dir)).close();
    // A pid beyond the kernel's pid_max cannot be alive.
    await writeFile(join(dir, 'tmp', '99999999-dead.tmp'), 'x');
    await writeFile(join(dir, 'tmp', `${process.pid}-mine.tmp`), 'x');
    await (await FileStore.open(dir)).close();
    assert.deepEqual(await readdir(join(dir, 'tmp')), [`${process.pid}-mine.tmp`]);
  });

  it('writes the documented layout: FORMAT, log/<revision>.json', async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir);
    await store.put('x', { y: true });
    await store.close();
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'FORMAT'), 'utf8')), {
      format: 'harness-service-registry',
      version: 1,
    });
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'log', '0000000000000001.json'), 'utf8')), {
      revision: 1,
      ops: [{ type: 'put', key: 'x', value: { y: true } }],
    });
  });
});

describe('FileStore shared by processes', () => {
  it('loses no update when two processes increment the same counters with CAS 200 times each', async (t) => {
    const dir = await tempDir(t);
    const registry = await ServiceRegistry.open({ dir });
    const keys = ['shop/api/0', 'shop/db/0'];
    for (const key of keys) {
      const [stack, service] = key.split('/') as [string, string];
      await registry.register({ stack, service, host: 'a' });
    }
    // A small compactEvery makes compactions race with the writers too.
    const outs = await within(
      Promise.all([
        runFixture('counter.ts', [dir, '200', '50', ...keys]),
        runFixture('counter.ts', [dir, '200', '50', ...keys]),
      ]),
      120_000,
    );
    for (const key of keys) assert.equal((await registry.get(key))?.restarts, 400, key);
    const conflicts = outs.map((o) => (JSON.parse(o) as { conflicts: number }).conflicts);
    t.diagnostic(`conflicts seen by the two writers: ${conflicts.join(', ')}`);
    await registry.close();
  });

  it('shows a watcher in this process the writes of another process, in order', async (t) => {
    const dir = await tempDir(t);
    const registry = await ServiceRegistry.open({ dir });
    const watch = registry.watch({ stack: 'shop' });
    await within(readUntil(watch, (c) => c.type === 'synced'));
    const child = runFixture('writer.ts', [dir, '5']);
    const changes = await within(readUntil(watch, (c) => c.type === 'delete'));
    await child;
    const summary = changes.map((c) =>
      c.type === 'put' || c.type === 'delete' ? `${c.type} ${c.record.key} ${c.record.state}` : c.type,
    );
    assert.deepEqual(summary, [
      ...[0, 1, 2, 3, 4].map((i) => `put shop/web/${i} starting`),
      ...[0, 1, 2, 3, 4].map((i) => `put shop/web/${i} healthy`),
      'delete shop/web/0 healthy',
    ]);
    const revisions = changes.map((c) => (c.type === 'put' || c.type === 'delete' ? c.revision : 0));
    assert.deepEqual(
      revisions,
      [...revisions].sort((a, b) => a - b),
    );
    assert.equal(new Set(revisions).size, revisions.length);
    await watch.return();
    await registry.close();
  });
});
