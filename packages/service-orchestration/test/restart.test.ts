import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ManagerEvent } from '../src/index.js';
import {
  aliveAfter,
  gone,
  openManager,
  probe,
  scratch,
  shService,
  stateOf,
  uniqueStack,
  waitForEvent,
} from './helpers.js';

const fastBackoff = { initialMs: 20, maxMs: 10_000, factor: 2, jitter: 0 };
const roomyBreaker = { failures: 100, windowMs: 60_000 };

type Restart = Extract<ManagerEvent, { type: 'restart' }>;
const isRestart = (e: ManagerEvent): e is Restart => e.type === 'restart';

/** An HTTP server on port 0 whose answers the test decides. */
async function controlledServer(t: TestContext, answer: (path: string) => number): Promise<string> {
  const server: Server = createServer((req, res) => {
    res.statusCode = answer(req.url ?? '/');
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A node service that runs until it gets SIGUSR1, then exits 1. */
const crashOnUsr1 =
  'exec node -e "process.on(\'SIGUSR1\', () => process.exit(1)); setInterval(() => {}, 1e6)"';

describe('restart policy', () => {
  it('restarts a crashing service with growing backoff, then fails after max restarts', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('backoff');
    await manager.up({
      name,
      services: [
        shService('crasher', 'exit 3', {
          restart: { policy: 'on-failure', maxRestarts: 3, backoff: fastBackoff, breaker: roomyBreaker },
        }),
      ],
    });
    const failed = await waitForEvent(
      manager.events,
      (e) => e.service === 'crasher' && e.type === 'state' && e.state === 'failed',
    );
    assert.equal(failed.type === 'state' && failed.reason, 'gave up after 3 restarts (last: exit code 3)');
    const restarts = manager.events.recent().filter(isRestart);
    assert.deepEqual(
      restarts.map((r) => [r.attempt, r.delayMs]),
      [
        [1, 20],
        [2, 40],
        [3, 80],
      ],
    );
    assert.ok(restarts.every((r) => r.reason === 'exit code 3'));
    const row = stateOf(manager, name, 'crasher');
    assert.equal(row.state, 'failed');
    assert.equal(row.counters.restarts, 3);
    assert.equal(row.counters.spawned, 4);
    assert.equal(row.counters.terminated, 4);
    assert.equal(row.counters.breakerTrips, 0);
  });

  it('starts the backoff over after a run that lasted resetAfterMs', async (t) => {
    const manager = await openManager(t);
    const dir = scratch(t);
    const counter = join(dir, 'runs');
    writeFileSync(counter, '0');
    const name = uniqueStack('reset');
    const resetAfterMs = 150;
    // Runs 1 and 2 crash at once; run 3 and later run until the test sends SIGUSR1.
    const script = `n=$(cat ${counter}); n=$((n+1)); echo $n > ${counter}; [ $n -le 2 ] && exit 1; ${crashOnUsr1}`;
    await manager.up({
      name,
      services: [
        shService('svc', script, {
          restart: {
            policy: 'on-failure',
            maxRestarts: 5,
            backoff: fastBackoff,
            resetAfterMs,
            breaker: roomyBreaker,
          },
        }),
      ],
    });
    const third = await waitForEvent(
      manager.events,
      (e): e is Extract<ManagerEvent, { type: 'spawned' }> =>
        e.service === 'svc' && e.type === 'spawned' && manager.events.recent().filter(isRestart).length === 2,
    );
    assert.deepEqual(
      manager.events
        .recent()
        .filter(isRestart)
        .map((r) => r.delayMs),
      [20, 40],
    );
    assert.equal(stateOf(manager, name, 'svc').restarts, 2);
    // The run must last resetAfterMs before the test crashes it: a deadline, not a guess.
    await delay(Math.max(0, third.time + resetAfterMs + 5 - Date.now()));
    process.kill(third.pid as number, 'SIGUSR1');
    const after = await waitForEvent(manager.events, isRestart, { after: third });
    assert.equal(after.attempt, 1);
    assert.equal(after.delayMs, 20);
    await waitForEvent(manager.events, (e) => e.type === 'spawned' && e.service === 'svc', { after });
    assert.equal(stateOf(manager, name, 'svc').restarts, 1);
    assert.equal(stateOf(manager, name, 'svc').counters.restarts, 3);
  });

  it('trips the circuit breaker after too many failures in its window', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('breaker');
    await manager.up({
      name,
      services: [
        shService('flaky', 'exit 1', {
          restart: {
            policy: 'always',
            maxRestarts: 100,
            backoff: { initialMs: 1, maxMs: 1, factor: 1, jitter: 0 },
            breaker: { failures: 3, windowMs: 60_000 },
          },
        }),
      ],
    });
    const failed = await waitForEvent(
      manager.events,
      (e) => e.service === 'flaky' && e.type === 'state' && e.state === 'failed',
    );
    assert.match(
      failed.type === 'state' ? (failed.reason ?? '') : '',
      /^circuit breaker: 3 failures within 60000 ms \(last: exit code 1\)$/,
    );
    const row = stateOf(manager, name, 'flaky');
    assert.equal(row.counters.breakerTrips, 1);
    assert.equal(row.counters.restarts, 2);
  });

  it('restarts a service whose liveness probe fails', async (t) => {
    let failures = 0;
    const url = await controlledServer(t, () => (failures-- > 0 ? 500 : 200));
    const manager = await openManager(t);
    const name = uniqueStack('liveness');
    await manager.up({
      name,
      services: [
        shService('web', 'exec sleep 1000', {
          liveness: probe({ kind: 'http', url: `${url}/live`, retries: 1 }),
          restart: { backoff: fastBackoff },
        }),
      ],
    });
    const first = await waitForEvent(manager.events, (e) => e.service === 'web' && e.type === 'spawned');
    await waitForEvent(manager.events, (e) => e.service === 'web' && e.type === 'health' && e.ok);
    failures = 1;
    const exit = await waitForEvent(manager.events, (e) => e.service === 'web' && e.type === 'exit');
    assert.equal(exit.type === 'exit' && exit.signal, 'SIGTERM');
    const restart = await waitForEvent(manager.events, isRestart);
    assert.equal(restart.reason, 'liveness probe failed');
    const second = await waitForEvent(manager.events, (e) => e.service === 'web' && e.type === 'spawned', {
      after: exit,
    });
    const all = manager.events.recent();
    assert.ok(all.indexOf(exit) < all.indexOf(second));
    assert.deepEqual(await aliveAfter([first.type === 'spawned' ? (first.pid as number) : 0], 3000), []);
    assert.equal(stateOf(manager, name, 'web').counters.restarts, 1);
  });

  it('does not kill a slow starter before its readiness passed', async (t) => {
    let ready = false;
    const url = await controlledServer(t, () => (ready ? 200 : 503));
    const manager = await openManager(t);
    const name = uniqueStack('slow');
    const up = manager.up({
      name,
      services: [
        shService('slow', 'exec sleep 1000', {
          readiness: probe({ kind: 'http', url: `${url}/ready`, intervalMs: 20, retries: 1 }),
          // Fails on every run: were it armed before readiness, it would restart the service.
          liveness: probe({ kind: 'exec', command: ['false'], intervalMs: 10, retries: 1 }),
          restart: { backoff: fastBackoff },
        }),
      ],
    });
    let failedReadiness = 0;
    await waitForEvent(
      manager.events,
      (e) => e.service === 'slow' && e.type === 'health' && !e.ok && ++failedReadiness >= 15,
    );
    const before = manager.events.recent().filter((e) => e.service === 'slow');
    assert.equal(before.filter((e) => e.type === 'spawned').length, 1);
    assert.equal(
      before.some((e) => e.type === 'exit' || e.type === 'restart'),
      false,
    );
    assert.equal(
      before.some((e) => e.type === 'health' && e.probe === 'liveness'),
      false,
    );
    ready = true;
    const outcome = await up;
    assert.equal(outcome.ok, true);
    // Now liveness is armed, and the always-failing probe restarts it.
    const restart = await waitForEvent(manager.events, isRestart);
    assert.equal(restart.reason, 'liveness probe failed');
    const all = manager.events.recent();
    const healthy = all.findIndex((e) => e.type === 'state' && e.state === 'healthy');
    const firstLiveness = all.findIndex((e) => e.type === 'health' && e.probe === 'liveness');
    assert.ok(healthy >= 0 && firstLiveness > healthy);
  });

  it('kills what a crashed service left behind before it starts again', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('leftover');
    const dir = scratch(t);
    const counter = join(dir, 'runs');
    const pids = join(dir, 'pids');
    writeFileSync(counter, '0');
    // Each run leaves a background sleep and records its pid; the first run then exits 1.
    const script = `n=$(cat ${counter}); echo $((n+1)) > ${counter}; sleep 1000 & echo $! >> ${pids}; [ $n -eq 0 ] && exit 1; wait`;
    await manager.up({ name, services: [shService('leaky', script, { restart: { backoff: fastBackoff } })] });
    const restart = await waitForEvent(manager.events, isRestart);
    const [orphan] = readFileSync(pids, 'utf8').split('\n').filter(Boolean).map(Number);
    assert.ok(orphan !== undefined && orphan > 0);
    // Gone already when the restart is decided, not merely some time later.
    assert.equal(gone(orphan), true, `the first run's sleep ${orphan} outlived it`);
    await waitForEvent(manager.events, (e) => e.type === 'spawned', { after: restart });
    assert.equal(stateOf(manager, name, 'leaky').counters.spawned, 2);
  });
});
