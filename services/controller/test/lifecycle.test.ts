import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { daemonPaths } from '@harness/protocol';
import { ensureTlsMaterial, ensureToken, init } from '../src/index.js';
import { FakeWorker } from './fake-worker.js';
import { start, tempHome } from './helpers.js';

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('controller lifecycle', () => {
  it('keeps the token, key, certificate, socket and endpoint private (0600, home 0700)', async (t) => {
    const d = await start(t, new FakeWorker());
    const paths = daemonPaths(d.home);
    for (const p of [paths.token, paths.tlsKey, paths.tlsCert, paths.socket, paths.endpoint])
      assert.equal(mode(p), 0o600, p);
    assert.equal(mode(paths.home), 0o700);
    assert.equal(ensureToken(d.home), d.token, 'the token is created once');
    assert.equal((await ensureTlsMaterial(d.home)).fingerprint, d.run.endpoint.certFingerprint);
  });

  it('refuses a corrupt token file rather than replacing it', (t) => {
    const home = tempHome(t);
    writeFileSync(daemonPaths(home).token, 'nope');
    assert.throws(() => ensureToken(home), { code: 'TOKEN_CORRUPT' });
  });

  it('rejects when the port is taken, naming it, and leaves nothing listening', async (t) => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    t.after(() => blocker.close());
    const address = blocker.address();
    assert.ok(address !== null && typeof address === 'object');
    const home = tempHome(t);
    await assert.rejects(
      init({
        home,
        worker: new FakeWorker(),
        version: '1',
        listen: { host: '127.0.0.1', port: address.port },
      }),
      {
        code: 'ADDRESS_IN_USE',
        message: new RegExp(`127\\.0\\.0\\.1:${address.port}`),
      },
    );
    assert.equal(existsSync(daemonPaths(home).socket), false);
    assert.equal(existsSync(daemonPaths(home).endpoint), false);
  });

  it('refuses a socket a live daemon answers on; replaces a stale one', async (t) => {
    const d = await start(t, new FakeWorker(), { listen: false });
    await assert.rejects(init({ home: d.home, worker: new FakeWorker(), version: '1', listen: false }), {
      code: 'DAEMON_RUNNING',
    });
    d.controller.abort();
    await d.done;
    writeFileSync(daemonPaths(d.home).socket, ''); // left behind by a daemon that died
    const again = await start(t, new FakeWorker(), { home: d.home, listen: false });
    assert.ok((await again.unix()).server.version);
  });

  it('run returns promptly after abort and removes the socket file and endpoint.json', async (t) => {
    const d = await start(t, new FakeWorker());
    const paths = daemonPaths(d.home);
    await d.unix();
    assert.ok(existsSync(paths.socket));
    d.controller.abort();
    await d.done;
    assert.equal(existsSync(paths.socket), false);
    assert.equal(existsSync(paths.endpoint), false);
  });
});
