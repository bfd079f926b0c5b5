import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ManagerEvent } from '../src/index.js';
import {
  aliveAfter,
  openManager,
  probe,
  shService,
  stackProcesses,
  stateOf,
  uniqueStack,
} from './helpers.js';

const ignoresTerm =
  "exec node -e \"process.on('SIGTERM', () => {}); setInterval(() => {}, 1e6); console.log('ready')\"";

describe('stopping', () => {
  it('escalates to SIGKILL after the shutdown timeout and names what it waits on', async (t) => {
    const manager = await openManager(t, { stopProgressIntervalMs: 50 });
    const name = uniqueStack('sigkill');
    await manager.up({
      name,
      services: [
        shService('stubborn', ignoresTerm, {
          shutdown: { signal: 'SIGTERM', timeoutMs: 300 },
          // ready once its TERM handler is installed
          readiness: probe({ kind: 'log', pattern: '^ready$' }),
        }),
      ],
    });
    const pid = stateOf(manager, name, 'stubborn').pid as number;
    assert.ok(pid > 0);
    const t0 = Date.now();
    await manager.down(name);
    assert.ok(Date.now() - t0 >= 300, 'down returned before the shutdown timeout');
    assert.deepEqual(await aliveAfter([pid], 3000), []);
    const events = manager.events.recent().filter((e) => e.stack === name);
    const waiting = events.filter(
      (e): e is Extract<ManagerEvent, { type: 'stop-waiting' }> => e.type === 'stop-waiting',
    );
    assert.ok(waiting.length >= 1, 'no stop-waiting event');
    assert.deepEqual(waiting[0]?.processes, [{ pid, comm: 'node' }]);
    const exit = events.find((e) => e.type === 'exit');
    assert.equal(exit?.type === 'exit' && exit.signal, 'SIGKILL');
    assert.throws(() => manager.status(name), { code: 'UNKNOWN_STACK' });
  });

  it('leaves no process behind after down, grandchildren and setsid ones included', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('tree');
    await manager.up({
      name,
      services: [
        shService('forks', 'sleep 1000 & sleep 1000 & echo forked; wait'),
        shService('escapes', 'setsid sleep 1000 & echo escaped; wait'),
        shService('plain', 'exec sleep 1000'),
      ],
    });
    // Wait until each script has started its children (they log once they have).
    const lines: string[] = [];
    for await (const l of manager.logs(name, undefined, { follow: true, tail: 10 })) {
      lines.push(l.line);
      if (lines.includes('forked') && lines.includes('escaped')) break;
    }
    const pids = stackProcesses(name);
    // 2 shells + 3 sleeps + 1 setsid sleep
    assert.equal(pids.length, 6, `processes: ${pids.join(', ')}`);
    const setsid = pids.filter((p) => stackProcesses(name, 'escapes').includes(p));
    assert.equal(setsid.length, 2);
    await manager.down(name);
    assert.deepEqual(await aliveAfter(pids, 3000), []);
    assert.deepEqual(stackProcesses(name), []);
  });

  it('brings a stack of 100 services up and down', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('hundred');
    const services = Array.from({ length: 100 }, (_, i) => shService(`s${i}`, 'exec sleep 1000'));
    const outcome = await manager.up({ name, services });
    assert.equal(outcome.ok, true);
    const rows = manager.status(name);
    assert.equal(rows.length, 100);
    assert.ok(rows.every((r) => r.state === 'running' && r.pid !== undefined));
    const pids = rows.map((r) => r.pid as number);
    assert.equal(new Set(pids).size, 100);
    assert.equal(stackProcesses(name).length, 100);
    await manager.down(name);
    assert.deepEqual(await aliveAfter(pids, 3000), []);
    assert.deepEqual(stackProcesses(name), []);
  });
});
