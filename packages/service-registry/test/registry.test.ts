import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, parseServiceKey, RegistryError, ServiceRegistry, serviceKey } from '../src/index.js';
import { stores } from './helpers.js';

const api = {
  stack: 'shop',
  service: 'api',
  host: 'a',
  target: { kind: 'process', pid: 4242, startTime: 123456 },
  endpoints: [{ name: 'http', port: 8080, protocol: 'http' }],
} as const;

function code(c: string) {
  return (e: unknown) => e instanceof RegistryError && e.code === c;
}

for (const [name, open] of stores) {
  describe(`ServiceRegistry on ${name}`, () => {
    it('registers with defaults and gets the record back', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const rec = await registry.register(api);
      assert.equal(rec.key, 'shop/api/0');
      assert.equal(rec.instance, '0');
      assert.equal(rec.state, 'starting');
      assert.deepEqual(rec.health, { status: 'unknown' });
      assert.equal(rec.restarts, 0);
      assert.deepEqual(rec.labels, {});
      assert.ok(rec.revision > 0);
      assert.deepEqual(await registry.get('shop/api/0'), rec);
      assert.deepEqual(await registry.get({ stack: 'shop', service: 'api', instance: 0 }), rec);
      assert.equal(await registry.get('shop/api/1'), undefined);
      await registry.close();
    });

    it('refuses a second register of the same key with CONFLICT, unless replace', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const first = await registry.register(api);
      await assert.rejects(
        registry.register(api),
        (e) => code('CONFLICT')(e) && (e as RegistryError).revision === first.revision,
      );
      const replaced = await registry.register({ ...api, state: 'running' }, { replace: true });
      assert.equal(replaced.state, 'running');
      assert.ok(replaced.revision > first.revision);
    });

    it('rejects an invalid registration with INVALID listing every problem', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const bad = {
        stack: 'shop/x',
        service: '',
        host: 'a',
        state: 'sleeping',
        endpoints: [
          { name: 'http', port: 0 },
          { name: 'http', port: 80 },
        ],
        target: { kind: 'vm' },
        restarts: -1,
      } as unknown as Parameters<ServiceRegistry['register']>[0];
      await assert.rejects(registry.register(bad), (e: unknown) => {
        assert.ok(e instanceof RegistryError && e.code === 'INVALID');
        assert.equal(e.problems.length, 7, e.problems.join('\n'));
        assert.match(e.message, /"sleeping"/);
        return true;
      });
    });

    it('updates a partial patch, keeps other fields, clears with null', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const rec = await registry.register({ ...api, reason: 'x', labels: { tier: 'web' } });
      const up = await registry.update('shop/api/0', {
        state: 'healthy',
        reason: null,
        startedAt: '2024-01-02T03:04:05Z',
      });
      assert.equal(up.state, 'healthy');
      assert.equal(up.reason, undefined);
      assert.equal(up.startedAt, '2024-01-02T03:04:05Z');
      assert.deepEqual(up.target, rec.target);
      assert.deepEqual(up.labels, { tier: 'web' });
      assert.ok(up.revision > rec.revision);
    });

    it('update with a stale revision fails with CONFLICT carrying the current revision', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const rec = await registry.register(api);
      const moved = await registry.update(rec.key, { state: 'running' }, { revision: rec.revision });
      await assert.rejects(
        registry.update(rec.key, { state: 'failed' }, { revision: rec.revision }),
        (e) => code('CONFLICT')(e) && (e as RegistryError).revision === moved.revision,
      );
      assert.equal((await registry.get(rec.key))?.state, 'running');
    });

    it('update of an unknown key is NOT_FOUND; an invalid patch is INVALID', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await assert.rejects(registry.update('shop/none/0', { state: 'running' }), code('NOT_FOUND'));
      await registry.register(api);
      await assert.rejects(registry.update('shop/api/0', { restarts: 1.5 }), code('INVALID'));
      await assert.rejects(registry.update('shop/api', { restarts: 1 }), code('INVALID'));
    });

    it('a function patch applied concurrently loses no increment', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.register(api);
      await Promise.all(
        Array.from({ length: 25 }, () =>
          registry.update('shop/api/0', (r) => ({ restarts: r.restarts + 1 })),
        ),
      );
      assert.equal((await registry.get('shop/api/0'))?.restarts, 25);
    });

    it('deregisters, with and without a revision', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      const a = await registry.register(api);
      const b = await registry.register({ ...api, instance: 1 });
      assert.deepEqual(await registry.deregister('shop/api/0'), a);
      assert.equal(await registry.get('shop/api/0'), undefined);
      assert.equal(await registry.deregister('shop/api/0'), undefined);
      await assert.rejects(registry.deregister(b.key, { revision: b.revision + 100 }), code('CONFLICT'));
      assert.equal((await registry.deregister(b.key, { revision: b.revision }))?.key, b.key);
    });

    it('lists by stack, service, host and state, sorted by key', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.register({ ...api, instance: 1, state: 'healthy' });
      await registry.register({ ...api, instance: 0, host: 'b', state: 'running' });
      await registry.register({ ...api, service: 'db', state: 'failed' });
      await registry.register({ ...api, stack: 'blog', state: 'healthy' });
      const keys = async (f: Parameters<ServiceRegistry['list']>[0]) =>
        (await registry.list(f)).map((r) => r.key);
      assert.deepEqual(await keys({}), ['blog/api/0', 'shop/api/0', 'shop/api/1', 'shop/db/0']);
      assert.deepEqual(await keys({ stack: 'shop' }), ['shop/api/0', 'shop/api/1', 'shop/db/0']);
      assert.deepEqual(await keys({ stack: 'shop', service: 'api' }), ['shop/api/0', 'shop/api/1']);
      assert.deepEqual(await keys({ host: 'b' }), ['shop/api/0']);
      assert.deepEqual(await keys({ state: 'healthy' }), ['blog/api/0', 'shop/api/1']);
      assert.deepEqual(await keys({ state: ['failed', 'running'] }), ['shop/api/0', 'shop/db/0']);
      await assert.rejects(registry.list({ service: 'api' }), code('INVALID'));
    });

    it('keeps hosts: register (upsert), get, list, deregister, validation', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.registerHost({ name: 'b', address: '10.0.0.2', network: 'lan' });
      const a = await registry.registerHost({
        name: 'a',
        address: '10.0.0.1',
        network: 'lan',
        labels: { zone: '1' },
      });
      assert.deepEqual(a, {
        name: 'a',
        address: '10.0.0.1',
        network: 'lan',
        labels: { zone: '1' },
        revision: a.revision,
      });
      const a2 = await registry.registerHost({ name: 'a', address: '10.0.0.9', network: 'lan' });
      assert.equal((await registry.getHost('a'))?.address, '10.0.0.9');
      assert.ok(a2.revision > a.revision);
      assert.deepEqual(
        (await registry.listHosts()).map((h) => h.name),
        ['a', 'b'],
      );
      assert.equal((await registry.deregisterHost('b'))?.name, 'b');
      assert.equal(await registry.deregisterHost('b'), undefined);
      assert.equal(await registry.getHost('b'), undefined);
      await assert.rejects(
        registry.registerHost({ name: 'w', address: '', network: 'wireguard' }),
        (e) => code('INVALID')(e) && (e as RegistryError).problems.length === 2,
      );
    });

    it('rejects calls after close with CLOSED', async (t) => {
      const registry = new ServiceRegistry(await open(t));
      await registry.close();
      await assert.rejects(registry.get('shop/api/0'), code('CLOSED'));
      await assert.rejects(registry.register(api), code('CLOSED'));
      await registry.close();
    });
  });
}

describe('service keys', () => {
  it('builds and parses stack/service/instance', () => {
    assert.equal(serviceKey({ stack: 'shop', service: 'api', instance: 3 }), 'shop/api/3');
    assert.equal(serviceKey({ stack: 'shop', service: 'api' }), 'shop/api/0');
    assert.deepEqual(parseServiceKey('shop/api/web-1'), { stack: 'shop', service: 'api', instance: 'web-1' });
  });

  it('rejects malformed keys and names with INVALID', () => {
    assert.throws(() => parseServiceKey('shop/api'), code('INVALID'));
    assert.throws(() => parseServiceKey('shop/api/0/x'), code('INVALID'));
    assert.throws(() => serviceKey({ stack: '.hidden', service: 'api' }), code('INVALID'));
  });

  it('ServiceRegistry.open without a dir is in memory', async () => {
    const registry = await ServiceRegistry.open();
    assert.ok(registry.store instanceof MemoryStore);
  });
});
