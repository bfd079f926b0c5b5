import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type SshHost, startSshHost } from '../src/index.js';
import { isAlive, processesMentioning } from '../src/system.js';

function sshArgs(host: SshHost, ...remote: string[]): string[] {
  const opts = Object.entries(host.knownHostsOptions).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
  return ['-i', host.identityFile, '-o', 'BatchMode=yes', ...opts, '-l', host.user, host.address, ...remote];
}

describe('startSshHost', () => {
  let host: SshHost;
  before(async () => {
    host = await startSshHost({ hostname: 'fixture-host' });
  });
  after(async () => {
    await host.stop();
  });

  it('gives unique short names and a 10.2xx subnet', () => {
    assert.match(host.name, /^hn\d+x\d+$/);
    assert.ok(host.name.length <= 15);
    assert.match(host.address, /^10\.2\d\d\.\d{1,3}\.11$/);
    assert.equal(host.port, 22);
    assert.equal(host.user, 'root');
    assert.ok(existsSync(host.identityFile));
  });

  it('logs in with the key and runs in its own UTS namespace', async () => {
    const r = await execa('ssh', sshArgs(host, 'hostname'), { stdin: 'ignore' });
    assert.equal(r.stdout, 'fixture-host');
  });

  it('runs programs inside the network namespace', async () => {
    const r = await host.exec('ip', ['-o', '-4', 'addr', 'show', 'eth0']);
    assert.equal(r.exitCode, 0);
    assert.ok(r.stdout.includes(host.address), r.stdout);
  });

  it('starts a second host in parallel on another namespace and subnet', async () => {
    const [a, b] = await Promise.all([startSshHost(), startSshHost()]);
    try {
      assert.notEqual(a.name, b.name);
      assert.notEqual(a.address, b.address);
      assert.equal((await execa('ssh', sshArgs(b, 'hostname'), { stdin: 'ignore' })).stdout, b.name);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('leaves nothing behind after stop, and stop is idempotent', async () => {
    const h = await startSshHost();
    // a remote process that would outlive its ssh client
    await execa('ssh', sshArgs(h, 'sleep 1000 </dev/null >/dev/null 2>&1 &'), { stdin: 'ignore' });
    const namespacePids = (await execa('ip', ['netns', 'pids', h.name])).stdout.split('\n').filter(Boolean);
    assert.ok(namespacePids.length >= 2, `sshd and sleep run in the namespace: ${namespacePids}`);
    await Promise.all([h.stop(), h.stop()]);
    await h.stop();
    assert.ok(!existsSync(`/run/netns/${h.name}`), 'namespace deleted');
    assert.ok(!isAlive(h.pid), 'sshd gone');
    for (const pid of namespacePids) assert.ok(!isAlive(Number(pid)), `pid ${pid} gone`);
    assert.ok(!existsSync(h.dir), 'temp dir removed');
    assert.deepEqual(processesMentioning(h.dir), []);
    const links = await execa('ip', ['-o', 'link']);
    assert.ok(!links.stdout.includes(h.name.replace('hn', 'hv')), 'veth removed');
  });

  it('rejects a bad hostname with INVALID_OPTION', async () => {
    await assert.rejects(startSshHost({ hostname: 'bad name' }), {
      name: 'FixtureError',
      code: 'INVALID_OPTION',
    });
  });
});
