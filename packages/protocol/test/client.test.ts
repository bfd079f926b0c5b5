import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { HarnessClient, isLagged, normalizeFingerprint, ProtocolError } from '../src/index.js';
import { startTestServer } from './test-server.js';

function connect(t: TestContext, socketPath: string, queueLimit?: number): Promise<HarnessClient> {
  return HarnessClient.connect({ socketPath }, { token: 'good', ...(queueLimit ? { queueLimit } : {}) }).then(
    (c) => {
      t.after(() => c.close());
      return c;
    },
  );
}

describe('HarnessClient over a Unix socket', () => {
  it('says hello, then matches responses to requests by id', async (t) => {
    const server = await startTestServer(t, (f, ws) => {
      if (f.method === 'stack.list') ws.send(JSON.stringify({ id: f.id, result: ['a', 'b'] }));
      if (f.method === 'status') {
        ws.send(
          JSON.stringify({ id: f.id, error: { code: 'UNKNOWN_STACK', message: 'no stack x', data: 1 } }),
        );
      }
    });
    const client = await connect(t, server.socketPath);
    assert.deepEqual(client.server, { protocol: 1, version: 't' });
    assert.deepEqual(server.frames[0]?.params, { protocol: 1, token: 'good', client: 'harness-client' });
    const [list, status] = await Promise.allSettled([
      client.request('stack.list'),
      client.request('status', { stack: 'x' }),
    ]);
    assert.deepEqual(list, { status: 'fulfilled', value: ['a', 'b'] });
    assert.equal(status.status, 'rejected');
    const e = (status as PromiseRejectedResult).reason as ProtocolError;
    assert.ok(e instanceof ProtocolError);
    assert.equal(e.code, 'UNKNOWN_STACK');
    assert.equal(e.data, 1);
  });

  it('rejects a wrong token with UNAUTHENTICATED', async (t) => {
    const server = await startTestServer(t, () => {});
    await assert.rejects(HarnessClient.connect({ socketPath: server.socketPath }, { token: 'bad' }), {
      code: 'UNAUTHENTICATED',
    });
  });

  it('says DAEMON_UNAVAILABLE when nothing listens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proto-'));
    try {
      await assert.rejects(HarnessClient.connect({ socketPath: join(dir, 'none.sock') }, { token: 'x' }), {
        code: 'DAEMON_UNAVAILABLE',
        message: /is the daemon running/,
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('times out a hello that gets no answer', async (t) => {
    const server = await startTestServer(t, () => {});
    await assert.rejects(
      HarnessClient.connect({ socketPath: server.socketPath }, { token: 'silent', timeoutMs: 50 }),
      { code: 'TIMEOUT', message: /hello within 50 ms/ },
    );
  });

  it('yields subscription events until the end frame', async (t) => {
    const server = await startTestServer(t, (f, ws) => {
      ws.send(JSON.stringify({ id: f.id, result: { subscribed: true } }));
      ws.send(JSON.stringify({ id: f.id, event: { n: 1 } }));
      ws.send(JSON.stringify({ id: f.id, lagged: 4 }));
      ws.send(JSON.stringify({ id: f.id, event: { n: 2 } }));
      ws.send(JSON.stringify({ id: f.id, end: true }));
    });
    const client = await connect(t, server.socketPath);
    const got: unknown[] = [];
    for await (const e of client.subscribe('events', {})) got.push(e);
    assert.deepEqual(got, [{ n: 1 }, { lagged: 4 }, { n: 2 }]);
    assert.ok(isLagged(got[1]));
  });

  it('throws the daemon’s refusal of a subscription', async (t) => {
    const server = await startTestServer(t, (f, ws) => {
      ws.send(JSON.stringify({ id: f.id, error: { code: 'UNKNOWN_STACK', message: 'no stack' } }));
    });
    const client = await connect(t, server.socketPath);
    await assert.rejects(
      async () => {
        for await (const _ of client.subscribe('logs', { stack: 'x' })) assert.fail('no event expected');
      },
      { code: 'UNKNOWN_STACK' },
    );
  });

  it('sends cancel when the loop breaks, and when the signal aborts', async (t) => {
    const server = await startTestServer(t, (f, ws) => {
      if (f.method === 'cancel') ws.send(JSON.stringify({ id: f.id, result: { ok: true } }));
      else {
        ws.send(JSON.stringify({ id: f.id, result: { subscribed: true } }));
        ws.send(JSON.stringify({ id: f.id, event: { n: 1 } }));
      }
    });
    const client = await connect(t, server.socketPath);
    for await (const e of client.subscribe('events', {})) {
      assert.deepEqual(e, { n: 1 });
      break;
    }
    const first = await server.next('cancel');
    assert.equal(first.params?.id, server.frames.find((f) => f.method === 'events')?.id);

    const ac = new AbortController();
    const seen: unknown[] = [];
    const cancelled = server.next('cancel');
    for await (const e of client.subscribe('logs', { stack: 's', follow: true }, { signal: ac.signal })) {
      seen.push(e);
      ac.abort();
    }
    assert.deepEqual(seen, [{ n: 1 }]);
    assert.equal((await cancelled).method, 'cancel');
    // An already aborted signal opens nothing.
    for await (const _ of client.subscribe('events', {}, { signal: ac.signal }))
      assert.fail('no event expected');
  });

  it('bounds a slow consumer’s queue: drops the oldest and says how many', async (t) => {
    const server = await startTestServer(t, (f, ws) => {
      if (f.method === 'stack.list') {
        ws.send(JSON.stringify({ id: f.id, result: [] }));
        return;
      }
      ws.send(JSON.stringify({ id: f.id, result: { subscribed: true } }));
      for (let n = 0; n < 10; n++) ws.send(JSON.stringify({ id: f.id, event: { n } }));
      ws.send(JSON.stringify({ id: f.id, end: true }));
    });
    const client = await connect(t, server.socketPath, 3);
    const iterator = client.subscribe('events', {})[Symbol.asyncIterator]();
    await server.next('events');
    // Frames arrive in order: once this answer is in, every event and the end were queued.
    await client.request('stack.list');
    const got: unknown[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) got.push(r.value);
    assert.deepEqual(got, [{ lagged: 7 }, { n: 7 }, { n: 8 }, { n: 9 }]);
  });

  it('rejects pending requests and open subscriptions with CONNECTION_CLOSED when the daemon goes', async (t) => {
    const server = await startTestServer(t, (f, ws) => {
      if (f.method === 'events') ws.send(JSON.stringify({ id: f.id, result: { subscribed: true } }));
      if (f.method === 'status') ws.close(1001, 'going away');
    });
    const client = await connect(t, server.socketPath);
    const sub = client.subscribe('events', {})[Symbol.asyncIterator]();
    await server.next('events');
    await assert.rejects(client.request('status'), {
      code: 'CONNECTION_CLOSED',
      message: /1001: going away/,
    });
    await assert.rejects(sub.next(), { code: 'CONNECTION_CLOSED' });
    await assert.rejects(client.request('stack.list'), { code: 'CONNECTION_CLOSED' });
    const late = client.subscribe('events', {})[Symbol.asyncIterator]();
    await assert.rejects(late.next(), { code: 'CONNECTION_CLOSED' });
  });

  it('drops the connection when the daemon sends a malformed frame', async (t) => {
    const server = await startTestServer(t, (_f, ws) => ws.send('{"nope":1}'));
    const client = await connect(t, server.socketPath);
    await assert.rejects(client.request('stack.list'), { code: 'MALFORMED_FRAME' });
  });

  it('close() ends subscriptions quietly and rejects later requests', async (t) => {
    const server = await startTestServer(t, (f, ws) => {
      ws.send(JSON.stringify({ id: f.id, result: { subscribed: true } }));
    });
    const client = await connect(t, server.socketPath);
    const sub = client.subscribe('events', {})[Symbol.asyncIterator]();
    await server.next('events');
    await client.close();
    assert.deepEqual(await sub.next(), { done: true, value: undefined });
    await assert.rejects(client.request('stack.list'), { code: 'CONNECTION_CLOSED' });
  });
});

describe('HarnessClient over WSS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proto-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const tls = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  const fingerprint = new X509Certificate(tls.cert).fingerprint256;

  it('connects with the pinned fingerprint, or with the certificate as CA', async (t) => {
    const server = await startTestServer(
      t,
      (f, ws) => ws.send(JSON.stringify({ id: f.id, result: [] })),
      tls,
    );
    const url = server.url ?? assert.fail('no url');
    const pinned = await HarnessClient.connect({ url, certFingerprint: fingerprint }, { token: 'good' });
    assert.deepEqual(await pinned.request('stack.list'), []);
    await pinned.close();
    const trusted = await HarnessClient.connect({ url, ca: tls.cert }, { token: 'good' });
    assert.deepEqual(await trusted.request('stack.list'), []);
    await trusted.close();
  });

  it('refuses a certificate that does not match the pin, before sending the token', async (t) => {
    const server = await startTestServer(t, () => {}, tls);
    const url = server.url ?? assert.fail('no url');
    await assert.rejects(
      HarnessClient.connect({ url, certFingerprint: 'ab'.repeat(32) }, { token: 'good' }),
      {
        code: 'CERTIFICATE_MISMATCH',
        message: new RegExp(normalizeFingerprint(fingerprint)),
      },
    );
    assert.equal(server.frames.length, 0);
  });

  it('refuses plain ws:// URLs', async () => {
    await assert.rejects(
      HarnessClient.connect({ url: 'ws://127.0.0.1:1', certFingerprint: 'aa' }, { token: 'x' }),
      {
        code: 'DAEMON_UNAVAILABLE',
      },
    );
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
