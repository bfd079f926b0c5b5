import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it, type TestContext } from 'node:test';
import { FileFollower, readProcStat } from '@harness/command-executor';
import { LogStore, type ManagerEvent, ServiceManager, StateStore, serviceSpec } from '../src/index.js';
import {
  aliveAfter,
  gone,
  openManager,
  stackProcesses,
  stateOf,
  uniqueStack,
  waitForEvent,
} from './helpers.js';

const fixture = join(import.meta.dirname, 'fixtures', 'adopting-manager.ts');

/** Runs the fixture manager in a child process and resolves with the pids it printed. */
async function managerInChild(
  t: TestContext,
  stateDir: string,
  stack: string,
): Promise<{ child: ReturnType<typeof spawn>; pids: Record<string, number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, stateDir, stack], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith('READY ')) return { child, pids: JSON.parse(line.slice(6)) };
  }
  throw new Error('the child manager ended before it was ready');
}

describe('re-adoption', () => {
  it('adopts live instances after its supervisor was SIGKILLed, restarts the dead, loses no line', async (t) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'svcorch-adopt-'));
    const stack = uniqueStack('adopt');
    const { child, pids } = await managerInChild(t, stateDir, stack);
    const logs = new LogStore(join(stateDir, 'logs'));
    const counterLog = logs.file(stack, 'counter', 0);
    // Where a reader of the counter's log had got to (the last complete line but one).
    let found: (s: { line: string; offset: number }) => void = () => {};
    const reached = new Promise<{ line: string; offset: number }>((resolve) => {
      found = resolve;
    });
    const reader = new FileFollower(counterLog, {
      stream: 'stdout',
      from: 'start',
      onLine: (e) => {
        if (Number(e.line) === 20) found({ line: e.line, offset: e.offset ?? 0 });
      },
    });
    await reader.start();
    const seen = await reached;
    await reader.close();
    child.kill('SIGKILL');
    await once(child, 'exit');
    // The victim dies while no supervisor is there.
    process.kill(pids.victim as number, 'SIGKILL');
    assert.deepEqual(await aliveAfter([pids.victim as number], 5000), []);

    const manager = await openManager(t, { stateDir });
    t.after(() => rmSync(stateDir, { recursive: true, force: true }));
    for (const svc of ['counter', 'steady']) {
      const row = stateOf(manager, stack, svc);
      assert.equal(row.pid, pids[svc], `${svc} was not adopted with the same pid`);
      const spawned = manager.events
        .recent()
        .filter((e) => e.service === svc && e.type === 'spawned') as Extract<
        ManagerEvent,
        { type: 'spawned' }
      >[];
      assert.deepEqual(
        spawned.map((e) => [e.pid, e.adopted]),
        [[pids[svc], true]],
      );
    }
    // No duplicate: one shell loop for the counter, one sleep for steady.
    const counterShells = stackProcesses(stack, 'counter').filter((p) => readProcStat(p)?.comm === 'sh');
    assert.deepEqual(counterShells, [pids.counter]);
    assert.deepEqual(stackProcesses(stack, 'steady'), [pids.steady]);

    const exited = await waitForEvent(
      manager.events,
      (e) => e.service === 'victim' && e.type === 'state' && e.state === 'exited',
    );
    assert.equal(exited.type === 'state' && exited.reason, 'exit code unknown (adopted)');
    const restart = await waitForEvent(manager.events, (e) => e.service === 'victim' && e.type === 'restart');
    assert.equal(restart.type === 'restart' && restart.reason, 'exit code unknown (adopted)');
    const respawned = await waitForEvent(
      manager.events,
      (e) => e.service === 'victim' && e.type === 'spawned',
    );
    assert.ok(respawned.type === 'spawned' && respawned.pid !== pids.victim && !respawned.adopted);

    // The numbered lines, resumed from where the reader was: no gap, no duplicate.
    const first = Number(seen.line);
    const numbers: number[] = [];
    for await (const l of manager.logs(stack, 'counter', {
      follow: true,
      since: { 'counter.0': seen.offset },
    })) {
      numbers.push(Number(l.line));
      if (numbers.length >= 100) break;
    }
    assert.deepEqual(
      numbers,
      Array.from({ length: 100 }, (_, i) => first + 1 + i),
    );
  });

  it('does not adopt a pid that now belongs to another process', async (t) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'svcorch-reuse-'));
    const stranger = spawn('sleep', ['1000'], { stdio: 'ignore' });
    t.after(() => stranger.kill('SIGKILL'));
    await once(stranger, 'spawn');
    const pid = stranger.pid as number;
    const realStart = readProcStat(pid)?.startTime as number;
    const stack = uniqueStack('reuse');
    const spec = serviceSpec({
      name: 'app',
      target: { kind: 'process', command: { shell: 'exec sleep 1000' } },
      restart: { backoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 } },
    });
    const logFile = join(stateDir, 'logs', stack, 'app.0.log');
    new StateStore(stateDir).save({
      version: 1,
      stacks: {
        [stack]: {
          spec: { name: stack, services: [spec] },
          desired: ['app'],
          instances: {
            app: [
              {
                index: 0,
                record: {
                  kind: 'process',
                  pid,
                  startTime: realStart - 1,
                  logFile,
                  offset: 0,
                  startedAt: Date.now(),
                },
                history: { restarts: 0, failures: [] },
              },
            ],
          },
        },
      },
    });
    const manager = await openManager(t, { stateDir });
    t.after(() => rmSync(stateDir, { recursive: true, force: true }));
    const exited = await waitForEvent(manager.events, (e) => e.type === 'state' && e.state === 'exited');
    assert.equal(exited.type === 'state' && exited.reason, 'exit code unknown (adopted)');
    const spawned = await waitForEvent(manager.events, (e) => e.type === 'spawned');
    assert.ok(spawned.type === 'spawned' && spawned.pid !== pid && !spawned.adopted);
    assert.equal(
      manager.events.recent().some((e) => e.type === 'spawned' && e.adopted),
      false,
    );
    assert.equal(gone(pid), false, 'the stranger was touched');
    assert.match(readFileSync(join(stateDir, 'state.json'), 'utf8'), /"desired":\["app"\]/);
  });

  it('keeps the service counters across supervisors', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'svcorch-counters-')); // removed by openManager's clean-up
    const stack = uniqueStack('counters');
    const flaky = serviceSpec({
      name: 'flaky',
      // Exits at once twice (a marker file counts the runs), then stays up.
      target: {
        kind: 'process',
        command: {
          shell: `n=$(cat "${dir}/runs" 2>/dev/null || echo 0); echo $((n+1)) > "${dir}/runs"; [ $n -ge 2 ] && exec sleep 1000; exit 1`,
        },
      },
      restart: { policy: 'always', backoff: { initialMs: 0, maxMs: 0, factor: 2, jitter: 0 } },
    });
    const first = await ServiceManager.open({ stateDir: dir });
    await first.up({ name: stack, services: [flaky] });
    await waitForEvent(
      first.events,
      (e) => e.type === 'spawned' && first.status(stack)[0]?.counters.spawned === 3,
    );
    const before = first.status(stack)[0]?.counters;
    assert.deepEqual(before, { restarts: 2, spawned: 3, terminated: 2, breakerTrips: 0 });
    await first.close();
    const second = await openManager(t, { stateDir: dir });
    assert.deepEqual(second.status(stack)[0]?.counters, before);
    assert.equal(second.status(stack)[0]?.pid, first.status(stack)[0]?.pid, 'adopted, not restarted');
  });
});
