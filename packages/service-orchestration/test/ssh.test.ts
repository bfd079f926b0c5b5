/**
 * The ssh executor against a real sshd in its own network namespace and UTS namespace (from
 * @harness/test-fixtures). Remote processes are checked over ssh, as an operator would. A machine
 * without sshd fails here, it does not skip.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Command, LocalLauncher, SshLayer } from '@harness/command-executor';
import { type SshHost, startSshHost } from '@harness/test-fixtures';
import {
  LogStore,
  ServiceManager,
  type ServiceSpec,
  type SshConnection,
  SshExecutor,
  type SshInstanceRecord,
  StateStore,
  serviceSpec,
} from '../src/index.js';
import { aliveAfter, openManager, stateDir, stateOf, uniqueStack, waitForEvent } from './helpers.js';
import { ofType, serviceEvents, untilLogLine } from './remote-helpers.js';

describe('ssh services on a real sshd', () => {
  let host: SshHost;
  const launcher = new LocalLauncher();

  before(async () => {
    host = await startSshHost({ hostname: 'edge-1' });
  });
  after(async () => {
    await host?.stop();
  });

  const connection = (): SshConnection => ({
    address: host.address,
    port: host.port,
    user: host.user,
    identityFile: host.identityFile,
    options: { ...host.knownHostsOptions },
    connectTimeoutS: 5,
  });
  const sshService = (
    name: string,
    script: string,
    more: Partial<Omit<Parameters<typeof serviceSpec>[0], 'name' | 'target'>> = {},
    target: Partial<Extract<ServiceSpec['target'], { kind: 'ssh' }>> = {},
  ): ServiceSpec =>
    serviceSpec({
      name,
      target: {
        kind: 'ssh',
        host: 'edge-1',
        connection: connection(),
        command: { shell: script },
        ...target,
      },
      shutdown: { signal: 'SIGTERM', timeoutMs: 3000 },
      restart: { policy: 'on-failure', backoff: { initialMs: 10, maxMs: 100, factor: 2, jitter: 0 } },
      ...more,
    });

  /** Runs a script on the host over ssh (a new connection), as an operator would. */
  const remote = async (script: string): Promise<string> => {
    const ssh = new SshLayer({
      host: host.address,
      user: host.user,
      identityFile: host.identityFile,
      options: { ...host.knownHostsOptions },
    });
    const r = await launcher.run(ssh.apply(Command.of('sh', '-c', script)), { timeout: 30_000 });
    assert.equal(r.code, 0, `remote ${script}: ${r.stderr.join('\n')}`);
    return r.stdout.join('\n').trim();
  };
  /** Live (not zombie) processes of a process group on the host: `pid comm` lines. */
  const groupOnHost = async (pgid: number): Promise<string[]> => {
    const out = await remote(
      `ps -e -o pid=,pgid=,stat=,comm= | awk -v g=${pgid} '$2 == g && $3 !~ /^Z/ { print $1, $4 }'`,
    );
    return out === '' ? [] : out.split('\n');
  };
  /**
   * Waits on the host (up to 10 s) until no live process is left in the group; returns those left.
   * Orphans are reaped lazily by PID 1 there, so this is a bounded check, not an event.
   */
  const groupGoneOnHost = async (pgid: number): Promise<string[]> => {
    const live = `ps -e -o pgid=,stat= | awk -v g=${pgid} '$1 == g && $2 !~ /^Z/' | grep -q .`;
    await remote(`n=0; while ${live} && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done; true`);
    return groupOnHost(pgid);
  };
  /** The processes on the host whose environment names this stack: `pid` lines. */
  const stackOnHost = async (stack: string): Promise<number[]> => {
    const out = await remote(
      `for e in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$e" 2>/dev/null | grep -qx 'HARNESS_STACK=${stack}' && { p=\${e#/proc/}; p=\${p%/environ}; grep -q '^[^ ]* ([^)]*) [^Z]' /proc/$p/stat 2>/dev/null && echo $p; }; done; true`,
    );
    return out === '' ? [] : out.split('\n').map(Number);
  };

  const dirs = new WeakMap<ServiceManager, string>();
  const open = async (t: TestContext, dir = stateDir()): Promise<ServiceManager> => {
    const manager = await openManager(t, { stateDir: dir });
    dirs.set(manager, dir);
    return manager;
  };
  const openFirst = async (t: TestContext, dir: string): Promise<ServiceManager> => {
    const manager = await ServiceManager.open({ stateDir: dir, random: () => 0.5 });
    t.after(() => manager.close());
    return manager;
  };
  const readLog = (manager: ServiceManager, stack: string, service: string): string => {
    const dir = dirs.get(manager);
    if (dir === undefined) throw new Error('not a manager of this test');
    return readFileSync(new LogStore(join(dir, 'logs')).file(stack, service, 0), 'utf8');
  };

  it('runs the command on the host in its own process group, with its output in the log', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('ssh-up');
    const outcome = await manager.up({
      name: stack,
      services: [
        sshService(
          'edge',
          'echo "on $(hostname) in $(pwd) as $HARNESS_SERVICE.$HARNESS_INSTANCE: $GREETING"; echo oops >&2; exec sleep 1000',
          {},
          { cwd: '/usr', env: { GREETING: "it's a 'quoted' $value" } },
        ),
      ],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    await untilLogLine(manager, stack, 'edge', (l) => l === 'oops');
    const log = readLog(manager, stack, 'edge');
    assert.match(log, /^on edge-1 in \/usr as edge\.0: it's a 'quoted' \$value$/m);
    const pid = stateOf(manager, stack, 'edge').pid as number;
    // The main process leads its own group on the host, and is the service's only process there.
    assert.deepEqual(await groupOnHost(pid), [`${pid} sleep`]);
    assert.deepEqual(await stackOnHost(stack), [pid]);
  });

  it('stops the whole remote group: the signal first, then SIGKILL at the deadline', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('ssh-stop');
    await manager.up({
      name: stack,
      services: [
        sshService('polite', 'sleep 1000 & sleep 1000 & echo started; wait'),
        // Ignores SIGTERM (and so do its children): only SIGKILL ends it.
        sshService('stubborn', "trap '' TERM; sleep 1000 & echo started; wait", {
          shutdown: { signal: 'SIGTERM', timeoutMs: 1000 },
        }),
      ],
    });
    await untilLogLine(manager, stack, 'polite', (l) => l === 'started');
    await untilLogLine(manager, stack, 'stubborn', (l) => l === 'started');
    const polite = stateOf(manager, stack, 'polite').pid as number;
    const stubborn = stateOf(manager, stack, 'stubborn').pid as number;
    assert.equal((await groupOnHost(polite)).length, 3);
    assert.equal((await groupOnHost(stubborn)).length, 2);

    const started = Date.now();
    await manager.stop(stack, 'polite');
    assert.ok(Date.now() - started < 3000, 'a group that takes SIGTERM is stopped before the deadline');
    assert.deepEqual(await groupGoneOnHost(polite), []);

    const killing = Date.now();
    await manager.stop(stack, 'stubborn');
    assert.ok(Date.now() - killing >= 1000, 'SIGKILL only at the deadline');
    assert.deepEqual(await groupGoneOnHost(stubborn), []);
    assert.deepEqual(await stackOnHost(stack), []);
    assert.equal(stateOf(manager, stack, 'stubborn').state, 'stopped');
  });

  it('gives the remote exit code, and stops what the main process left behind', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('ssh-exit');
    await manager.up({
      name: stack,
      services: [sshService('job', 'sleep 1000 & echo "left $!"; exit 3', { restart: { policy: 'never' } })],
    });
    const exit = await waitForEvent(manager.events, ofType('exit', 'job'));
    assert.deepEqual([exit.code, exit.signal], [3, null]);
    const row = stateOf(manager, stack, 'job');
    assert.equal(row.state, 'failed');
    assert.match(row.reason ?? '', /code 3/);
    const left = Number(/^left (\d+)$/m.exec(readLog(manager, stack, 'job'))?.[1]);
    // Killed: gone, or a zombie until the host's PID 1 reaps it.
    assert.match(await remote(`ps -o stat= -p ${left} || true`), /^(Z.*)?$/);
    assert.deepEqual(await stackOnHost(stack), []);
  });

  it('leaves no orphan when the connection drops, and restarts the service by policy', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('ssh-drop');
    await manager.up({
      name: stack,
      services: [sshService('edge', 'sleep 1000 & echo started; wait')],
    });
    await untilLogLine(manager, stack, 'edge', (l) => l === 'started');
    const pid = stateOf(manager, stack, 'edge').pid as number;
    assert.equal((await groupOnHost(pid)).length, 2);
    await manager.flush();
    const dir = dirs.get(manager) as string;
    const record = new StateStore(dir).load().stacks[stack]?.instances.edge?.[0]?.record as SshInstanceRecord;
    // The local ssh client dies: the connection is gone.
    process.kill(record.pid, 'SIGKILL');
    const exit = await waitForEvent(manager.events, ofType('exit', 'edge'));
    assert.equal(exit.code, null);
    assert.deepEqual(await groupGoneOnHost(pid), [], 'the remote group went with its connection');
    const respawned = await waitForEvent(
      manager.events,
      (e) => e.type === 'spawned' && e.service === 'edge' && e.pid !== pid,
    );
    assert.ok(respawned.type === 'spawned' && !respawned.adopted);
    assert.match(
      readLog(manager, stack, 'edge'),
      /harness: the ssh connection to host edge-1 \(root@.*:22\) ended/,
    );
    const newPid = respawned.type === 'spawned' ? (respawned.pid as number) : 0;
    let runs = 0;
    await untilLogLine(manager, stack, 'edge', (l) => l === 'started' && ++runs === 2);
    // On the host: the new run's group only (its shell and its sleep), nothing of the old one.
    const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
    const group = (await groupOnHost(newPid)).map((l) => Number(l.split(' ')[0]));
    assert.deepEqual(sorted(await stackOnHost(stack)), sorted(group));
  });

  it('is adopted by a new manager: the same remote process, no duplicate, no log line lost', async (t) => {
    const dir = stateDir();
    const stack = uniqueStack('ssh-adopt');
    const first = await openFirst(t, dir);
    await first.up({
      name: stack,
      services: [sshService('ticker', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done')],
    });
    await untilLogLine(first, stack, 'ticker', (l) => l === 'tick 3');
    const pid = stateOf(first, stack, 'ticker').pid;
    await first.close();

    const second = await open(t, dir);
    const spawned = serviceEvents(second, 'ticker').filter((e) => e.type === 'spawned');
    assert.deepEqual(
      spawned.map((e) => e.type === 'spawned' && [e.pid, e.adopted]),
      [[pid, true]],
    );
    await untilLogLine(second, stack, 'ticker', (l) => l === 'tick 60');
    assert.deepEqual(
      (await stackOnHost(stack)).filter((p) => p === pid),
      [pid],
    );
    const ticks = readLog(second, stack, 'ticker')
      .split('\n')
      .filter((l) => l.startsWith('tick '))
      .map((l) => Number(l.slice(5)));
    assert.deepEqual(
      ticks,
      ticks.map((_, i) => i + 1),
    );
    await second.down(stack);
    assert.deepEqual(await groupGoneOnHost(pid as number), []);
  });

  it('gives the recorded exit code of a remote process that ended while nobody supervised it', async (t) => {
    const dir = stateDir();
    const stack = uniqueStack('ssh-ended');
    const flag = join(dir, 'go');
    // The host shares this machine's file system (only its network and hostname are its own).
    const first = await openFirst(t, dir);
    await first.up({
      name: stack,
      services: [
        sshService('job', `echo waiting; while [ ! -e ${flag} ]; do sleep 0.02; done; exit 5`, {
          restart: { policy: 'never' },
        }),
      ],
    });
    await untilLogLine(first, stack, 'job', (l) => l === 'waiting');
    await first.flush();
    const record = new StateStore(dir).load().stacks[stack]?.instances.job?.[0]?.record as SshInstanceRecord;
    await first.close();
    writeFileSync(flag, '');
    assert.deepEqual(
      await aliveAfter([record.pid], 10_000),
      [],
      'the ssh client ends with the remote command',
    );

    const second = await open(t, dir);
    const exit = await waitForEvent(second.events, ofType('exit', 'job'));
    assert.deepEqual([exit.code, exit.signal], [5, null]);
    assert.equal(stateOf(second, stack, 'job').state, 'failed');
  });

  it('says why when the connection dropped while nobody supervised it, and starts it again', async (t) => {
    const dir = stateDir();
    const stack = uniqueStack('ssh-lost');
    const first = await openFirst(t, dir);
    await first.up({ name: stack, services: [sshService('edge', 'echo started; exec sleep 1000')] });
    await untilLogLine(first, stack, 'edge', (l) => l === 'started');
    const pid = stateOf(first, stack, 'edge').pid as number;
    await first.flush();
    const record = new StateStore(dir).load().stacks[stack]?.instances.edge?.[0]?.record as SshInstanceRecord;
    await first.close();
    process.kill(record.pid, 'SIGKILL');
    assert.deepEqual(await aliveAfter([record.pid]), []);
    assert.deepEqual(await groupGoneOnHost(pid), []);

    const second = await open(t, dir);
    const exited = await waitForEvent(
      second.events,
      (e) => e.type === 'state' && e.service === 'edge' && e.state === 'exited',
    );
    assert.equal(exited.type === 'state' && exited.reason, 'exit code unknown (adopted)');
    assert.match(
      readLog(second, stack, 'edge'),
      /harness: remote pid \d+ on host edge-1 \(root@[\d.]+:22\) is gone: its ssh connection ended while no supervisor ran/,
    );
    const respawned = await waitForEvent(second.events, (e) => e.type === 'spawned' && e.service === 'edge');
    assert.ok(respawned.type === 'spawned' && !respawned.adopted && respawned.pid !== pid);
  });

  it('stops an earlier run of the same instance that lost its connection before it starts', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('ssh-stale');
    // An earlier run nobody reaches any more: a process group on the host, named by the pid file.
    const stale = Number(
      await remote(
        `setsid sleep 1000 </dev/null >/dev/null 2>&1 & p=$!; read -r l < /proc/$p/stat; set -- \${l##*) }; mkdir -p ~/.harness/run; echo "$p \${20}" > ~/.harness/run/${stack}.edge.0.pid; echo $p`,
      ),
    );
    assert.deepEqual(await groupOnHost(stale), [`${stale} sleep`]);
    const outcome = await manager.up({
      name: stack,
      services: [sshService('edge', 'echo started; exec sleep 1000')],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.deepEqual(await groupGoneOnHost(stale), []);
    await untilLogLine(manager, stack, 'edge', (l) => l === 'started');
    assert.match(readLog(manager, stack, 'edge'), new RegExp(`^harness: stopping pid ${stale} first`, 'm'));
  });

  it('fails to start with a message naming the service and the host when ssh cannot connect', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('ssh-refused');
    await manager.up({
      name: stack,
      services: [sshService('edge', 'true', {}, { connection: { ...connection(), port: 2 } })],
    });
    const row = stateOf(manager, stack, 'edge');
    assert.equal(row.state, 'failed');
    assert.match(
      row.reason ?? '',
      /^cannot start edge on host edge-1 \(root@[\d.]+:2\): .*(refused|Connection)/,
    );
  });

  it('learns the host key on first use when the connection says nothing of host keys', async (t) => {
    const dir = stateDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const knownHosts = join(dir, 'known_hosts');
    const executor = new SshExecutor({ knownHostsFile: knownHosts });
    const stack = uniqueStack('ssh-keys');
    const logFile = new LogStore(join(dir, 'logs')).file(stack, 'edge', 0);
    const { options: _, ...bare } = connection();
    const running = await executor.start({
      stack,
      index: 0,
      logFile,
      spec: sshService('edge', 'echo hi; exit 0', {}, { connection: bare }),
    });
    assert.deepEqual(await running.wait(), { code: 0, signal: null });
    await running.stop({ timeout: 1000 });
    assert.ok(existsSync(knownHosts));
    // (Hashed or not, per the client's HashKnownHosts.)
    const found = await launcher.run(Command.of('ssh-keygen', '-F', host.address, '-f', knownHosts));
    assert.equal(found.code, 0, `${host.address} is not in ${knownHosts}`);
    assert.match(readFileSync(logFile, 'utf8'), /^hi$/m);
  });
});
