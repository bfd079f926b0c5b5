/**
 * The docker executor against a real, private dockerd (from @harness/test-fixtures: its own data
 * root and socket, a busybox image built from scratch). A machine without dockerd fails here, it
 * does not skip.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { type DockerEngine, startDockerEngine } from '@harness/test-fixtures';
import {
  containerName,
  DockerExecutor,
  type DockerInstanceRecord,
  LogStore,
  ServiceManager,
  type ServiceSpec,
  StateStore,
  serviceSpec,
} from '../src/index.js';
import { aliveAfter, openManager, stateDir, stateOf, uniqueStack, waitForEvent } from './helpers.js';
import { ofType, serviceEvents, untilLogLine } from './remote-helpers.js';

describe('docker services on a real dockerd', () => {
  let engine: DockerEngine;
  let image: string;

  before(async () => {
    engine = await startDockerEngine();
    image = await engine.buildBusyboxImage();
  });
  after(async () => {
    await engine?.stop();
  });

  const docker = async (...args: string[]): Promise<string> => {
    const r = await engine.docker(args);
    assert.equal(r.exitCode, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  /** Containers of a stack (running or not): `id image state name`. */
  const containers = async (stack: string): Promise<string[]> => {
    const out = await docker(
      'ps',
      '--all',
      '--no-trunc',
      '--filter',
      `label=io.harness.stack=${stack}`,
      '--format',
      '{{.ID}} {{.Image}} {{.State}} {{.Names}}',
    );
    return out === '' ? [] : out.split('\n');
  };
  const dockerService = (
    name: string,
    script: string,
    more: Partial<Omit<Parameters<typeof serviceSpec>[0], 'name' | 'target'>> = {},
    target: Partial<Extract<ServiceSpec['target'], { kind: 'docker' }>> = {},
  ): ServiceSpec =>
    serviceSpec({
      name,
      target: {
        kind: 'docker',
        image,
        command: { shell: script },
        init: true,
        dockerHost: engine.host,
        ...target,
      },
      shutdown: { signal: 'SIGTERM', timeoutMs: 5000 },
      restart: { policy: 'on-failure', backoff: { initialMs: 10, maxMs: 100, factor: 2, jitter: 0 } },
      ...more,
    });
  const open = async (t: TestContext, dir = stateDir()): Promise<ServiceManager> => {
    const manager = await openManager(t, { stateDir: dir });
    dirs.set(manager, dir);
    return manager;
  };
  /** A manager the test closes itself, to hand its state folder to the next one. */
  const openFirst = async (t: TestContext, dir: string): Promise<ServiceManager> => {
    const manager = await ServiceManager.open({ stateDir: dir, random: () => 0.5 });
    t.after(() => manager.close());
    return manager;
  };

  it('runs the image as a labelled, named container, with its output in the log', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('dk-up');
    const outcome = await manager.up({
      name: stack,
      services: [
        dockerService(
          'web',
          'echo "hello from $HARNESS_SERVICE.$HARNESS_INSTANCE with $GREETING"; exec sleep 1000',
          {},
          {
            env: { GREETING: "it's a 'quoted' $value" },
          },
        ),
      ],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const list = await containers(stack);
    assert.equal(list.length, 1, list.join('\n'));
    const [id, img, state, name] = (list[0] ?? '').split(' ');
    assert.equal(img, image);
    assert.equal(state, 'running');
    assert.equal(name, containerName(stack, 'web', 0));
    const labels = JSON.parse(await docker('inspect', '--format', '{{json .Config.Labels}}', id ?? ''));
    assert.deepEqual(labels, {
      'io.harness.stack': stack,
      'io.harness.service': 'web',
      'io.harness.instance': '0',
    });
    await untilLogLine(manager, stack, 'web', (l) => l === "hello from web.0 with it's a 'quoted' $value");
    const row = stateOf(manager, stack, 'web');
    assert.equal(row.state, 'running');
    // The container's main process, seen from this machine (the engine is local).
    assert.equal(row.pid, Number(await docker('inspect', '--format', '{{.State.Pid}}', id ?? '')));
  });

  it('stops the container with the shutdown timeout and removes it', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('dk-stop');
    await manager.up({
      name: stack,
      services: [
        dockerService(
          'web',
          'trap "echo got TERM; exit 0" TERM; while :; do sleep 0.05; done',
          {},
          { init: false },
        ),
      ],
    });
    const started = Date.now();
    await manager.down(stack);
    assert.ok(Date.now() - started < 4000, 'a container that handles SIGTERM stops before the deadline');
    assert.deepEqual(await containers(stack), []);
    assert.match(readLog(manager, stack, 'web'), /got TERM/);
  });

  it('restarts a crashed container by policy, in a new container, and counts the restart', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('dk-crash');
    // It crashes on its first run only: the marker is in a volume that outlives the container.
    const volume = `harness-test-${process.pid}-${Date.now()}`;
    t.after(async () => {
      await engine.docker(['volume', 'rm', '-f', volume]);
    });
    await manager.up({
      name: stack,
      services: [
        dockerService(
          'flaky',
          'if [ -e /v/ran ]; then echo second run; exec sleep 1000; fi; touch /v/ran; echo first run; exit 3',
          {},
          { volumes: [{ source: volume, target: '/v' }] },
        ),
      ],
    });
    const exit = await waitForEvent(manager.events, ofType('exit', 'flaky'));
    assert.equal(exit.code, 3);
    await waitForEvent(manager.events, ofType('restart', 'flaky'));
    await untilLogLine(manager, stack, 'flaky', (l) => l === 'second run');
    const row = stateOf(manager, stack, 'flaky');
    assert.equal(row.restarts, 1);
    assert.equal(row.state, 'running');
    // The crashed container was removed: one container, running.
    const list = await containers(stack);
    assert.equal(list.length, 1, list.join('\n'));
    assert.match(list[0] ?? '', / running /);
  });

  it('completes a one-shot container that exits 0 and gives its exit code', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('dk-once');
    const outcome = await manager.up({
      name: stack,
      services: [dockerService('job', 'echo job done', { restart: { policy: 'never' } })],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const exit = await waitForEvent(manager.events, ofType('exit', 'job'));
    assert.deepEqual([exit.code, exit.signal], [0, null]);
    await untilLogLine(manager, stack, 'job', (l) => l === 'job done');
    assert.deepEqual(await containers(stack), []);
  });

  it('reads its output as lines for a log probe', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('dk-probe');
    const outcome = await manager.up({
      name: stack,
      services: [
        dockerService('db', 'echo booting; echo "ready to accept connections"; exec sleep 1000', {
          readiness: {
            kind: 'log',
            pattern: 'ready to accept',
            intervalMs: 50,
            timeoutMs: 0,
            retries: 1,
            startPeriodMs: 0,
          },
        }),
      ],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(stateOf(manager, stack, 'db').state, 'healthy');
  });

  it('fails to start with a message naming the service and the image when the image is missing', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('dk-noimg');
    const outcome = await manager.up({
      name: stack,
      services: [dockerService('ghost', 'true', {}, { image: 'harness-test/no-such-image:1' })],
    });
    assert.equal(outcome.ok, false);
    const row = stateOf(manager, stack, 'ghost');
    assert.equal(row.state, 'failed');
    assert.match(
      row.reason ?? '',
      /cannot start ghost \(image harness-test\/no-such-image:1 on unix:\/\/.*\): .+/,
    );
    assert.deepEqual(await containers(stack), []);
  });

  it('refuses a container of the same name that Harness did not start', async (t) => {
    const manager = await open(t);
    const stack = uniqueStack('dk-taken');
    const name = containerName(stack, 'web', 0);
    await engine.runContainer({ image, name, command: ['sleep', '1000'] });
    t.after(async () => {
      await engine.docker(['rm', '-f', name]);
    });
    await manager.up({ name: stack, services: [dockerService('web', 'exec sleep 1000')] });
    const row = stateOf(manager, stack, 'web');
    assert.equal(row.state, 'failed');
    assert.match(row.reason ?? '', /a container named .* exists and was not started by Harness/);
  });

  it('is adopted by a new manager: same container, no duplicate, and no log line lost', async (t) => {
    const dir = stateDir();
    const stack = uniqueStack('dk-adopt');
    const first = await openFirst(t, dir);
    await first.up({
      name: stack,
      services: [dockerService('ticker', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done')],
    });
    await untilLogLine(first, stack, 'ticker', (l) => l === 'tick 3');
    const [before] = await containers(stack);
    await first.close();

    // While nobody supervises it, the container runs on and its helper keeps logging.
    const second = await open(t, dir);
    const spawned = serviceEvents(second, 'ticker').filter((e) => e.type === 'spawned');
    assert.deepEqual(
      spawned.map((e) => e.type === 'spawned' && e.adopted),
      [true],
    );
    assert.equal(stateOf(second, stack, 'ticker').state, 'running');
    await untilLogLine(second, stack, 'ticker', (l) => l === 'tick 60');
    assert.deepEqual(await containers(stack), [before]);
    assertTicks(readLog(second, stack, 'ticker'));
    await second.down(stack);
    assert.deepEqual(await containers(stack), []);
  });

  it('takes up the log again when its helper died while nobody supervised it', async (t) => {
    const dir = stateDir();
    const stack = uniqueStack('dk-helper');
    const first = await openFirst(t, dir);
    await first.up({
      name: stack,
      services: [dockerService('ticker', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done')],
    });
    await untilLogLine(first, stack, 'ticker', (l) => l === 'tick 3');
    await first.close();
    const record = new StateStore(dir).load().stacks[stack]?.instances.ticker?.[0]
      ?.record as DockerInstanceRecord;
    assert.equal(record.kind, 'docker');
    process.kill(record.pid, 'SIGKILL');
    assert.deepEqual(await aliveAfter([record.pid]), []);

    const second = await open(t, dir);
    assert.equal(stateOf(second, stack, 'ticker').state, 'running');
    await untilLogLine(second, stack, 'ticker', (l) => l === 'tick 80');
    // The new helper takes up from the file's last write (`docker logs --since`), whose time has
    // the kernel's coarse resolution: a line or two may repeat at the junction, none is lost.
    assertTicks(readLog(second, stack, 'ticker'), { repeatsAtOneJunction: true });
  });

  it('gives the exit code of a container that ended while nobody supervised it, and restarts it', async (t) => {
    const dir = stateDir();
    const stack = uniqueStack('dk-ended');
    const first = await openFirst(t, dir);
    await first.up({ name: stack, services: [dockerService('web', 'echo up; exec sleep 1000')] });
    await first.close();
    await docker('kill', '--signal', 'KILL', containerName(stack, 'web', 0));

    const second = await open(t, dir);
    const exit = await waitForEvent(second.events, ofType('exit', 'web'));
    assert.equal(exit.code, 137);
    await waitForEvent(second.events, ofType('restart', 'web'));
    await waitForEvent(second.events, (e) => e.type === 'spawned' && e.service === 'web' && !e.adopted);
    const list = await containers(stack);
    assert.equal(list.length, 1, list.join('\n'));
    assert.match(list[0] ?? '', / running /);
  });

  it('forgets a recorded container that was removed while nobody supervised it', async (t) => {
    const dir = stateDir();
    const stack = uniqueStack('dk-removed');
    const first = await openFirst(t, dir);
    await first.up({
      name: stack,
      services: [dockerService('web', 'exec sleep 1000', { restart: { policy: 'never' } })],
    });
    await first.close();
    await docker('rm', '--force', containerName(stack, 'web', 0));

    const second = await open(t, dir);
    const row = stateOf(second, stack, 'web');
    assert.equal(row.state, 'failed');
    assert.match(readLog(second, stack, 'web'), /harness: container .* is gone/);
  });

  it('works through the executor alone, without a manager', async (t) => {
    const executor = new DockerExecutor();
    const stack = uniqueStack('dk-alone');
    const dir = stateDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const logFile = new LogStore(dir).file(stack, 'solo', 0);
    const running = await executor.start({
      stack,
      index: 0,
      logFile,
      spec: dockerService('solo', 'echo alone; exit 7'),
    });
    assert.deepEqual(await running.wait(), { code: 7, signal: null });
    await running.stop({ timeout: 1000 });
    assert.match(readFileSync(logFile, 'utf8'), /alone/);
    assert.deepEqual(await containers(stack), []);
  });
});

/** The state folder of each manager a test opened. */
const dirs = new WeakMap<ServiceManager, string>();

/** An instance's whole log file (the manager keeps them under `<stateDir>/logs`). */
function readLog(manager: ServiceManager, stack: string, service: string): string {
  const dir = dirs.get(manager);
  if (dir === undefined) throw new Error('not a manager of this test');
  return readFileSync(new LogStore(join(dir, 'logs')).file(stack, service, 0), 'utf8');
}

/** Every `tick N` from 1 on, once each, in order (or, if allowed, with one stretch repeated). */
function assertTicks(log: string, options: { repeatsAtOneJunction?: boolean } = {}): void {
  const ticks = log
    .split('\n')
    .filter((l) => l.startsWith('tick '))
    .map((l) => Number(l.slice(5)));
  assert.ok(ticks.length > 10);
  if (!options.repeatsAtOneJunction) {
    assert.deepEqual(
      ticks,
      ticks.map((_, i) => i + 1),
      'every tick once, in order',
    );
    return;
  }
  const unique = [...new Set(ticks)].sort((a, b) => a - b);
  assert.deepEqual(
    unique,
    unique.map((_, i) => i + 1),
    `no tick lost: ${ticks.join(' ')}`,
  );
  const stepsBack = ticks.filter((n, i) => i > 0 && n <= (ticks[i - 1] ?? 0)).length;
  assert.ok(stepsBack <= 1, `one junction at most: ${ticks.join(' ')}`);
}
