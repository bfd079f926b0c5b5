import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LogStore } from '../src/index.js';
import { readLogs } from '../src/logs.js';
import {
  openManager,
  probe,
  scratch,
  shService,
  stateDir,
  stateOf,
  uniqueStack,
  waitForEvent,
} from './helpers.js';

describe('log files', () => {
  it('gives the last N lines with tail', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('tail');
    await manager.up({
      name,
      services: [
        shService(
          'printer',
          'for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i"; done; echo done; exec sleep 1000',
        ),
      ],
    });
    for await (const l of manager.logs(name, 'printer', { follow: true, tail: 100 }))
      if (l.line === 'done') break;
    const lines: string[] = [];
    for await (const l of manager.logs(name, 'printer', { tail: 3 })) lines.push(l.line);
    assert.deepEqual(lines, ['line 9', 'line 10', 'done']);
    const all: string[] = [];
    for await (const l of manager.logs(name, undefined)) all.push(l.line);
    assert.equal(all.length, 11);
  });

  it('a follower slower than the writer gets every line, in order, from the file', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('slowreader');
    const n = 200_000;
    // Written before the reader starts pulling, and far faster than it takes them.
    await manager.up({ name, services: [shService('fast', `seq 1 ${n}; exec sleep 1000`)] });
    const abort = new AbortController();
    let expected = 1;
    for await (const l of manager.logs(name, 'fast', {
      follow: true,
      since: { 'fast.0': 0 },
      signal: abort.signal,
    })) {
      assert.equal(l.line, String(expected), `line ${expected}`);
      if (expected % 5000 === 0) await new Promise((r) => setImmediate(r)); // a consumer that dawdles
      if (expected++ === n) break;
    }
    assert.equal(expected - 1, n);
  });

  it('rotates a log file by size and the follower keeps going', async (t) => {
    const dir = stateDir();
    const manager = await openManager(t, { stateDir: dir, logLimits: { maxBytes: 2000, keep: 2 } });
    const name = uniqueStack('rotate');
    // On each SIGUSR1: the first time a burst of ~2.4 kB, later one line.
    const script = [
      'n=0',
      `trap 'n=$((n+1)); if [ $n -eq 1 ]; then i=0; while [ $i -lt 280 ]; do i=$((i+1)); echo "line $i"; done; echo burst-done; else echo "after rotation $n"; fi' USR1`,
      'echo ready',
      'while :; do sleep 1000 & wait $!; done',
    ].join('; ');
    await manager.up({
      name,
      services: [shService('chatty', script, { readiness: probe({ kind: 'log', pattern: '^ready$' }) })],
    });
    const pid = stateOf(manager, name, 'chatty').pid as number;
    const logDir = join(dir, 'logs', name);
    const file = join(logDir, 'chatty.0.log');
    const abort = new AbortController();
    t.after(() => abort.abort());
    // Rotated once the burst is in the files and the live file is back under the bound.
    const rotated = new Promise<void>((resolve) => {
      const check = (): void => {
        if (!existsSync(`${file}.1`)) return;
        const text = readFileSync(file, 'utf8');
        if (
          statSync(file).size < 2000 &&
          `${readFileSync(`${file}.1`, 'utf8')}${text}`.includes('burst-done')
        ) {
          watcher.close();
          resolve();
        }
      };
      const watcher = watch(logDir, check);
      check();
    });
    process.kill(pid, 'SIGUSR1');
    await rotated;
    // A follower of the rotated (truncated) file gets what is written after the rotation.
    const from = statSync(file).size;
    const follower = manager
      .logs(name, 'chatty', { follow: true, since: { 'chatty.0': from }, signal: abort.signal })
      [Symbol.asyncIterator]();
    const next = follower.next();
    process.kill(pid, 'SIGUSR1');
    assert.equal((await next).value?.line, 'after rotation 2');
    await follower.return?.();
    assert.ok(readFileSync(`${file}.1`, 'utf8').length >= 2000);
    assert.equal(existsSync(`${file}.3`), false, 'kept more than `keep` rotated files');
  });

  it('counts restarts, spawns, terminations and breaker trips in status', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('counters');
    await manager.up({
      name,
      services: [
        shService('bad', 'exit 2', {
          restart: {
            policy: 'always',
            maxRestarts: 10,
            backoff: { initialMs: 1, maxMs: 1, factor: 1, jitter: 0 },
            breaker: { failures: 4, windowMs: 60_000 },
          },
        }),
      ],
    });
    await waitForEvent(manager.events, (e) => e.type === 'state' && e.state === 'failed');
    const row = stateOf(manager, name, 'bad');
    assert.deepEqual(row.counters, { restarts: 3, spawned: 4, terminated: 4, breakerTrips: 1 });
    assert.equal(row.restarts, 3);
    assert.equal(row.health, 'none');
  });

  it('a follower behind rotations reads the rest from the rotated copies, then the live file', async (t) => {
    const store = new LogStore(scratch(t), { maxBytes: 1000, keep: 5 });
    const file = store.file('s', 'svc', 0);
    let written = 0;
    const write = (n: number): void => {
      let text = '';
      for (let i = 0; i < n; i++) text += `line ${++written}\n`;
      appendFileSync(file, text);
    };
    write(100);
    const abort = new AbortController();
    t.after(() => abort.abort());
    const lines = readLogs(store, [{ service: 'svc', instance: 0, file }], {
      follow: true,
      since: { 'svc.0': 0 },
      signal: abort.signal,
    })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value?.line, 'line 1');
    // Three rotations while the follower is still at line 1, each with lines before and after.
    for (let r = 0; r < 3; r++) {
      write(150);
      assert.equal(store.rotateIfNeeded(file, statSync(file).size), true);
      write(20);
    }
    for (let expected = 2; expected <= written; expected++) {
      assert.equal((await lines.next()).value?.line, `line ${expected}`);
    }
    write(1);
    assert.equal((await lines.next()).value?.line, `line ${written}`, 'follows the live file on');
    await lines.return(undefined);
  });

  it('following from the end of a line being written starts at the next whole line', async (t) => {
    const store = new LogStore(scratch(t));
    const file = store.file('s', 'svc', 0);
    appendFileSync(file, 'first\nhalf of a li');
    const abort = new AbortController();
    // The file watcher does not keep the process alive: this bound does (and ends a hang).
    const bound = setTimeout(() => abort.abort(), 30_000);
    t.after(() => {
      clearTimeout(bound);
      abort.abort();
    });
    const lines = readLogs(store, [{ service: 'svc', instance: 0, file }], {
      follow: true,
      tail: 0,
      signal: abort.signal,
    })[Symbol.asyncIterator]();
    const next = lines.next();
    appendFileSync(file, 'ne\nwhole\n');
    assert.equal((await next).value?.line, 'whole');
    await lines.return(undefined);
  });

  it('a follower reading a big backlog as fast as it can lets timers run meanwhile', async (t) => {
    const store = new LogStore(scratch(t), { maxBytes: 0, keep: 0 });
    const file = store.file('s', 'svc', 0);
    const total = 1_000_000;
    let text = '';
    for (let i = 1; i <= total; i++) text += `backlog line ${i}\n`;
    appendFileSync(file, text);
    const abort = new AbortController();
    t.after(() => abort.abort());
    let taken = 0;
    let takenWhenTimerRan: number | undefined;
    setTimeout(() => {
      takenWhenTimerRan = taken;
    }, 0);
    for await (const l of readLogs(store, [{ service: 'svc', instance: 0, file }], {
      follow: true,
      since: { 'svc.0': 0 },
      signal: abort.signal,
    })) {
      taken++;
      if (l.line === `backlog line ${total}`) break;
    }
    assert.equal(taken, total);
    assert.ok(
      takenWhenTimerRan !== undefined && takenWhenTimerRan < total,
      `the timer ran after ${takenWhenTimerRan} of ${total} lines`,
    );
  });

  it('rotates only when the file itself is past the bound', (t) => {
    const dir = scratch(t);
    const store = new LogStore(dir, { maxBytes: 10, keep: 1 });
    const file = store.file('s', 'svc', 0);
    assert.equal(store.rotateIfNeeded(file, 50), false, 'a stale offset rotated a missing file');
  });
});
