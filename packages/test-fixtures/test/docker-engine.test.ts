import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type DockerEngine, startDockerEngine } from '../src/index.js';
import { cgroupPids, isAlive, processesMentioning } from '../src/system.js';

describe('startDockerEngine', () => {
  let engine: DockerEngine;
  let image: string;
  before(async () => {
    engine = await startDockerEngine();
    image = await engine.buildBusyboxImage();
  });
  after(async () => {
    await engine.stop();
  });

  it('answers on its own socket', async () => {
    assert.equal(engine.host, `unix://${engine.socketPath}`);
    assert.deepEqual(engine.env, { DOCKER_HOST: engine.host });
    const r = await engine.docker(['version', '--format', '{{.Server.Version}}']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+\.\d+/);
  });

  it('builds a busybox image from scratch', async () => {
    assert.equal(image, 'harness-test/busybox');
    const r = await engine.docker(['run', '--rm', '--network', 'none', image, 'sh', '-c', 'echo hi from $0']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'hi from sh\n');
  });

  it('runs a named container with an init', async () => {
    const id = await engine.runContainer({ name: 'fx-run', image, command: ['sleep', '1000'] });
    assert.match(id, /^[0-9a-f]{64}$/);
    const r = await engine.docker(['exec', 'fx-run', 'cat', '/proc/1/cmdline']);
    assert.ok(r.stdout.startsWith('/sbin/docker-init'), JSON.stringify(r.stdout));
    const input = await engine.docker(['exec', '-i', 'fx-run', 'cat'], { input: 'piped\n' });
    assert.equal(input.stdout, 'piped\n');
  });

  it('reports a failing docker command without throwing', async () => {
    const r = await engine.docker(['exec', 'no-such-container', 'true']);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /No such container/);
  });

  it('leaves nothing behind after stop, and stop is idempotent', async () => {
    const e = await startDockerEngine();
    const img = await e.buildBusyboxImage('harness-test/other');
    await e.runContainer({ image: img, command: ['sleep', '1000'] });
    const cgroupParent = e.cgroupParent;
    assert.notEqual(cgroupParent, engine.cgroupParent);
    assert.ok(cgroupPids(cgroupParent).length >= 2, 'the container runs in the engine’s own cgroup');
    const pids = [...processesMentioning(e.dir), ...cgroupPids(cgroupParent)];
    assert.ok(pids.includes(e.pid));
    assert.ok(pids.length >= 4, `dockerd, containerd, shim, init, sleep: ${pids}`);
    await Promise.all([e.stop(), e.stop()]);
    await e.stop();
    for (const pid of pids) assert.ok(!isAlive(pid), `pid ${pid} gone`);
    assert.ok(!existsSync(e.dir), 'temp dir removed');
    assert.ok(!existsSync(`/sys/fs/cgroup/pids/${cgroupParent}`), 'cgroups removed');
    assert.ok(
      !existsSync('/sys/fs/cgroup/pids/docker') || readdirSync('/sys/fs/cgroup/pids/docker').length > 0,
    );
  });
});
