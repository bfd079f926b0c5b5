import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { MemoryStore, RegistryError, type RegistryErrorCode, ServiceRegistry } from '../src/index.js';

function fails(code: RegistryErrorCode, message: RegExp, suggestions?: string[]) {
  return (e: unknown) => {
    assert.ok(e instanceof RegistryError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    if (suggestions !== undefined) assert.deepEqual(e.suggestions, suggestions);
    return true;
  };
}

describe('resolve', () => {
  let registry: ServiceRegistry;
  const db = { stack: 'shop', service: 'db', endpoint: 'pg' } as const;

  beforeEach(async () => {
    registry = new ServiceRegistry(new MemoryStore());
    await registry.registerHost({ name: 'a', address: '192.168.1.10', network: 'lan' });
    await registry.registerHost({
      name: 'b',
      address: '192.168.1.11',
      network: 'lan',
      wireguardAddress: '10.8.0.11',
    });
    await registry.registerHost({
      name: 'w',
      address: '203.0.113.7',
      network: 'wireguard',
      wireguardAddress: '10.8.0.7',
    });
    await registry.registerHost({ name: 'solo', address: '127.0.0.1', network: 'local' });
    await registry.register({
      stack: 'shop',
      service: 'db',
      host: 'b',
      state: 'healthy',
      endpoints: [
        { name: 'pg', port: 5432, protocol: 'postgres' },
        { name: 'metrics', port: 9187 },
      ],
    });
  });

  it('gives loopback on the same host', async () => {
    const r = await registry.resolve(db, 'b');
    assert.deepEqual(
      [r.host, r.port, r.via, r.protocol, r.endpoint],
      ['127.0.0.1', 5432, 'loopback', 'postgres', 'pg'],
    );
    assert.equal(r.record.key, 'shop/db/0');
  });

  it('gives the LAN address between LAN hosts', async () => {
    const r = await registry.resolve(db, 'a');
    assert.deepEqual([r.host, r.port, r.via], ['192.168.1.11', 5432, 'lan']);
  });

  it('gives the WireGuard address to a WireGuard peer', async () => {
    const r = await registry.resolve(db, 'w');
    assert.deepEqual([r.host, r.port, r.via], ['10.8.0.11', 5432, 'wireguard']);
  });

  it('returns an explicit endpoint host as is', async () => {
    await registry.register({
      stack: 'shop',
      service: 'cdn',
      host: 'b',
      endpoints: [{ name: 'https', port: 443, host: 'cdn.example' }],
    });
    const r = await registry.resolve({ stack: 'shop', service: 'cdn' }, 'w');
    assert.deepEqual([r.host, r.port, r.via], ['cdn.example', 443, 'explicit']);
  });

  it('prefers a healthy instance, then one on the asking host; can pin an instance', async () => {
    await registry.register({
      stack: 'shop',
      service: 'api',
      instance: 0,
      host: 'a',
      state: 'starting',
      endpoints: [{ name: 'http', port: 8000 }],
    });
    await registry.register({
      stack: 'shop',
      service: 'api',
      instance: 1,
      host: 'a',
      state: 'healthy',
      endpoints: [{ name: 'http', port: 8001 }],
    });
    await registry.register({
      stack: 'shop',
      service: 'api',
      instance: 2,
      host: 'b',
      state: 'healthy',
      endpoints: [{ name: 'http', port: 8002 }],
    });
    assert.equal((await registry.resolve({ stack: 'shop', service: 'api' }, 'b')).port, 8002);
    assert.equal((await registry.resolve({ stack: 'shop', service: 'api' }, 'a')).port, 8001);
    assert.equal((await registry.resolve({ stack: 'shop', service: 'api', instance: 0 }, 'b')).port, 8000);
    await assert.rejects(
      registry.resolve({ stack: 'shop', service: 'api', instance: 7 }, 'a'),
      fails('NOT_FOUND', /no instance "7" \(it has 0, 1, 2\)/),
    );
  });

  it('says when the service is not registered, with a did-you-mean', async () => {
    await assert.rejects(
      registry.resolve({ stack: 'shop', service: 'dbb' }, 'a'),
      fails('NOT_FOUND', /service shop\/dbb is not registered\. Did you mean "db"\?/, ['db']),
    );
  });

  it('says when the endpoint does not exist, with a did-you-mean, or is ambiguous', async () => {
    await assert.rejects(
      registry.resolve({ ...db, endpoint: 'pgg' }, 'a'),
      fails('UNKNOWN_ENDPOINT', /no endpoint "pgg" \(it has pg, metrics\)\. Did you mean "pg"\?/, ['pg']),
    );
    await assert.rejects(
      registry.resolve({ stack: 'shop', service: 'db' }, 'a'),
      fails('UNKNOWN_ENDPOINT', /several endpoints \(pg, metrics\); name one/),
    );
    await registry.register({ stack: 'shop', service: 'batch', host: 'a' });
    await assert.rejects(
      registry.resolve({ stack: 'shop', service: 'batch' }, 'a'),
      fails('UNKNOWN_ENDPOINT', /has no endpoints/),
    );
  });

  it('says when a host is unknown', async () => {
    await assert.rejects(
      registry.resolve(db, 'aa'),
      fails('UNKNOWN_HOST', /host "aa" \(the resolving host\).*Did you mean "a"\?/),
    );
    await registry.register({
      stack: 'shop',
      service: 'q',
      host: 'ghost',
      endpoints: [{ name: 'amqp', port: 5672 }],
    });
    await assert.rejects(
      registry.resolve({ stack: 'shop', service: 'q' }, 'a'),
      fails('UNKNOWN_HOST', /host "ghost" \(the host of shop\/q\/0\)/),
    );
  });

  it('says when the hosts cannot reach each other, and why', async () => {
    await assert.rejects(
      registry.resolve(db, 'solo'),
      fails('UNRESOLVABLE', /"solo" is on network "local".*share no network/),
    );
    await registry.register({
      stack: 'shop',
      service: 'edge',
      host: 'w',
      endpoints: [{ name: 'http', port: 80 }],
    });
    await assert.rejects(
      registry.resolve({ stack: 'shop', service: 'edge' }, 'a'),
      fails(
        'UNRESOLVABLE',
        /cannot be reached from host "a": "a" is on network "lan" without a WireGuard address/,
      ),
    );
    assert.equal((await registry.resolve({ stack: 'shop', service: 'edge' }, 'b')).host, '10.8.0.7');
    await registry.register({
      stack: 'shop',
      service: 'mini',
      host: 'solo',
      endpoints: [{ name: 'http', port: 81 }],
    });
    await assert.rejects(
      registry.resolve({ stack: 'shop', service: 'mini' }, 'a'),
      fails('UNRESOLVABLE', /local-only/),
    );
    await registry.register({
      stack: 'shop',
      service: 'adm',
      host: 'b',
      endpoints: [{ name: 'http', port: 82, host: '127.0.0.1' }],
    });
    await assert.rejects(
      registry.resolve({ stack: 'shop', service: 'adm' }, 'a'),
      fails('UNRESOLVABLE', /listens on 127\.0\.0\.1 only/),
    );
    assert.equal((await registry.resolve({ stack: 'shop', service: 'adm' }, 'b')).via, 'loopback');
  });
});
