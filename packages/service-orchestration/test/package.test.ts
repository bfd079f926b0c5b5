/**
 * The package executor against a real sshd in its own network namespace (from
 * @harness/test-fixtures): copy once per content hash, install once per content hash, then run
 * like an ssh service. The host shares this machine's file system, so each test deploys under a
 * temporary `remoteDir` and can look at what landed there. A machine without sshd fails here.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Command, LocalLauncher } from '@harness/command-executor';
import { type SshHost, startSshHost } from '@harness/test-fixtures';
import {
  contentHash,
  LogStore,
  ServiceManager,
  type ServiceSpec,
  type SshConnection,
  serviceSpec,
} from '../src/index.js';
import { openManager, stateDir, stateOf, uniqueStack, waitForEvent } from './helpers.js';
import { ofType, serviceEvents, untilLogLine } from './remote-helpers.js';

describe('package services on a real sshd', () => {
  let host: SshHost;

  before(async () => {
    host = await startSshHost({ hostname: 'edge-2' });
  });
  after(async () => {
    await host?.stop();
  });

  const connection = (): SshConnection => ({
    address: host.address,
    user: host.user,
    identityFile: host.identityFile,
    options: { ...host.knownHostsOptions },
    connectTimeoutS: 5,
  });

  /** A scratch folder with a package folder in it and a deploy folder for the host. */
  const workspace = (t: TestContext): { root: string; pkg: string; remoteDir: string } => {
    const root = mkdtempSync(join(tmpdir(), 'svcorch-pkg-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const pkg = join(root, 'agent');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(
      join(pkg, 'bin', 'serve'),
      '#!/bin/sh\necho "serving $(cat version) from $(pwd) on $(hostname)"\nexec sleep 1000\n',
    );
    chmodSync(join(pkg, 'bin', 'serve'), 0o755);
    writeFileSync(join(pkg, 'version'), 'v1\n');
    return { root, pkg, remoteDir: join(root, 'deployed') };
  };
  const pkgService = (
    name: string,
    target: Omit<
      Extract<ServiceSpec['target'], { kind: 'package' }>,
      'kind' | 'host' | 'connection' | 'command'
    > &
      Partial<Extract<ServiceSpec['target'], { kind: 'package' }>>,
    more: Partial<Omit<Parameters<typeof serviceSpec>[0], 'name' | 'target'>> = {},
  ): ServiceSpec =>
    serviceSpec({
      name,
      target: {
        kind: 'package',
        host: 'edge-2',
        connection: connection(),
        command: ['./bin/serve'],
        // Counts the installs, in a file next to the deploy folder.
        install: { shell: 'echo "installing $(cat version)"; echo x >> ../installs' },
        ...target,
      },
      shutdown: { signal: 'SIGTERM', timeoutMs: 2000 },
      restart: { policy: 'on-failure', backoff: { initialMs: 10, maxMs: 100, factor: 2, jitter: 0 } },
      ...more,
    });
  const installs = (remoteDir: string): number => {
    try {
      return readFileSync(join(remoteDir, 'installs'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  const deployed = (remoteDir: string): string[] =>
    readdirSync(remoteDir)
      .filter((n) => n !== 'installs')
      .sort();

  it('copies a folder once, installs it once, and runs it in its folder on the host', async (t) => {
    const { pkg, remoteDir } = workspace(t);
    const manager = await openManager(t);
    const stack = uniqueStack('pkg-up');
    const outcome = await manager.up({
      name: stack,
      services: [pkgService('agent', { path: pkg, remoteDir }, { replicas: 2 })],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const hash1 = contentHash(pkg);
    const dir = join(remoteDir, `agent-${hash1}`);
    assert.deepEqual(deployed(remoteDir), [`agent-${hash1}`]);
    await untilLogLine(manager, stack, 'agent', (l) => l === `serving v1 from ${dir} on edge-2`);
    assert.equal(installs(remoteDir), 1, 'two replicas, one install');
    assert.equal(readFileSync(join(dir, 'version'), 'utf8'), 'v1\n');

    // Started again: neither copied nor installed again.
    await manager.restart(stack, 'agent');
    assert.equal(stateOf(manager, stack, 'agent').state, 'running');
    assert.equal(installs(remoteDir), 1);

    // New content: a new folder, installed once more.
    writeFileSync(join(pkg, 'version'), 'v2\n');
    await manager.stop(stack, 'agent');
    await manager.up({ name: stack, services: [pkgService('agent', { path: pkg, remoteDir })] });
    const hash2 = contentHash(pkg);
    assert.notEqual(hash2, hash1);
    const dir2 = join(remoteDir, `agent-${hash2}`);
    await untilLogLine(manager, stack, 'agent', (l) => l === `serving v2 from ${dir2} on edge-2`);
    assert.equal(installs(remoteDir), 2);
    assert.deepEqual(deployed(remoteDir), [`agent-${hash1}`, `agent-${hash2}`].sort());
  });

  it('deploys a .tar.gz archive and a single file', async (t) => {
    const { root, pkg, remoteDir } = workspace(t);
    const archive = join(root, 'agent-1.2.tgz');
    const tar = await new LocalLauncher().run(Command.of('tar', '-C', pkg, '-czf', archive, '.'));
    assert.equal(tar.code, 0, tar.stderr.join('\n'));
    const single = join(root, 'hello.sh');
    writeFileSync(single, '#!/bin/sh\necho "hello from $(basename "$(pwd)")"\nexec sleep 1000\n');
    chmodSync(single, 0o755);
    const manager = await openManager(t);
    const stack = uniqueStack('pkg-kinds');
    const outcome = await manager.up({
      name: stack,
      services: [
        pkgService('archive', { path: archive, remoteDir }),
        pkgService('single', { path: single, remoteDir, install: undefined, command: ['./hello.sh'] }),
      ],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    await untilLogLine(manager, stack, 'archive', (l) =>
      l.startsWith(`serving v1 from ${join(remoteDir, `agent-1.2-${contentHash(archive)}`)}`),
    );
    await untilLogLine(manager, stack, 'single', (l) => l === `hello from hello.sh-${contentHash(single)}`);
  });

  it('fails the start when the install fails, and installs again at the next start', async (t) => {
    const { pkg, remoteDir } = workspace(t);
    const dir = stateDir();
    const manager = await openManager(t, { stateDir: dir });
    const stack = uniqueStack('pkg-fail');
    const flaky = { shell: 'echo x >> ../installs; [ -e ../ok ] || { echo "install broke" >&2; exit 4; }' };
    await manager.up({
      name: stack,
      services: [
        pkgService('agent', { path: pkg, remoteDir, install: flaky }, { restart: { policy: 'never' } }),
      ],
    });
    const row = stateOf(manager, stack, 'agent');
    assert.equal(row.state, 'failed');
    assert.match(
      row.reason ?? '',
      /^cannot start agent on host edge-2 \(root@.*\): install exited with code 4/,
    );
    writeFileSync(join(remoteDir, 'ok'), '');
    const outcome = await manager.up({
      name: stack,
      services: [
        pkgService('agent', { path: pkg, remoteDir, install: flaky }, { restart: { policy: 'never' } }),
      ],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(installs(remoteDir), 2);
    const log = readFileSync(new LogStore(join(dir, 'logs')).file(stack, 'agent', 0), 'utf8');
    assert.match(log, /install broke/);
  });

  it('is adopted by a new manager like an ssh service', async (t) => {
    const { pkg, remoteDir } = workspace(t);
    const dir = stateDir();
    const stack = uniqueStack('pkg-adopt');
    const first = await ServiceManager.open({ stateDir: dir });
    t.after(() => first.close());
    await first.up({ name: stack, services: [pkgService('agent', { path: pkg, remoteDir })] });
    const pid = stateOf(first, stack, 'agent').pid;
    await first.close();
    const second = await openManager(t, { stateDir: dir });
    const spawned = serviceEvents(second, 'agent').filter((e) => e.type === 'spawned');
    assert.deepEqual(
      spawned.map((e) => e.type === 'spawned' && [e.pid, e.adopted]),
      [[pid, true]],
    );
    await second.down(stack);
    const exit = await waitForEvent(second.events, ofType('exit', 'agent'));
    assert.equal(exit.service, 'agent');
    assert.equal(installs(remoteDir), 1);
  });

  it('fails with a message naming the package when it cannot be read', async (t) => {
    const manager = await openManager(t);
    const stack = uniqueStack('pkg-missing');
    await manager.up({ name: stack, services: [pkgService('agent', { path: '/nonexistent/agent.tgz' })] });
    assert.match(
      stateOf(manager, stack, 'agent').reason ?? '',
      /cannot read package \/nonexistent\/agent\.tgz/,
    );
  });
});
