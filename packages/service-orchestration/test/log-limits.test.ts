/**
 * Per-service log limits (`ServiceSpec.logs`): rotation at a service's own bound, no rotation
 * (and no watch) at all with `maxBytes: 0`, validation, and persistence of the limits.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { inotifyWatchesOn, untilInFolder } from '@harness/test-fixtures';
import { LogStore, OrchestrationError, ServiceManager } from '../src/index.js';
import { openManager, probe, scratch, shService, stateDir, stateOf, uniqueStack } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * 1024;

/** Every file name seen in `dir` while the test runs (rotated files that came and went too). */
function namesSeen(t: TestContext, dir: string): Set<string> {
  const seen = new Set<string>(readdirSync(dir));
  const watcher = watch(dir, (_event, name) => {
    if (name) seen.add(name.toString());
  });
  t.after(() => watcher.close());
  return seen;
}

/** The text `seq 1 n` prints. */
function seqText(n: number): string {
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) parts.push(`${i}\n`);
  return parts.join('');
}

describe('per-service log limits', () => {
  it('rotates at the service own bound into .1 and .2, never keeping more than 2', async (t) => {
    const dir = stateDir();
    const data = scratch(t);
    // The manager's own bound (10 MiB) never rotates these 80 KiB bursts: the service's does.
    const manager = await openManager(t, { stateDir: dir });
    const name = uniqueStack('ownlimits');
    const bursts = [1, 2, 3, 4].map((k) => {
      const line = `burst ${k} ${'x'.repeat(100)}\n`;
      const text = line.repeat(Math.ceil((80 * KiB) / line.length)).slice(0, 80 * KiB - 1);
      writeFileSync(join(data, `burst-${k}`), `${text}\n`);
      return `${text}\n`;
    });
    const logDir = join(dir, 'logs', name);
    const file = join(logDir, 'chatty.0.log');
    // On the k-th SIGUSR1, burst k is written with one write() (dd), so the file passes the
    // bound once per burst and the writer is idle when it is rotated.
    const script = [
      'n=0',
      `trap 'n=$((n+1)); dd if="${data}/burst-$n" bs=1M count=1 2>/dev/null' USR1`,
      'echo ready',
      'while :; do sleep 1000 & wait $!; done',
    ].join('; ');
    await manager.up({
      name,
      services: [
        shService('chatty', script, {
          // An exec probe: a `log` probe would put a watch of its own on the file.
          readiness: probe({ kind: 'exec', command: ['grep', '-qx', 'ready', file] }),
          logs: { maxBytes: 64 * KiB, keep: 2 },
        }),
      ],
    });
    const seen = namesSeen(t, logDir);
    assert.equal(inotifyWatchesOn(file), 1, 'the log file is guarded');
    const pid = stateOf(manager, name, 'chatty').pid as number;
    for (const [i, burst] of bursts.entries()) {
      process.kill(pid, 'SIGUSR1');
      await untilInFolder(
        t,
        logDir,
        () => statSync(file).size === 0 && readFileSync(`${file}.1`, 'utf8').endsWith(burst),
        `burst ${i + 1} rotated into ${file}.1`,
      );
      if (i >= 1)
        assert.ok(readFileSync(`${file}.2`, 'utf8').endsWith(bursts[i - 1] ?? '?'), `.2 after ${i + 1}`);
    }
    assert.equal(readFileSync(`${file}.1`, 'utf8'), bursts[3]);
    assert.equal(readFileSync(`${file}.2`, 'utf8'), bursts[2]);
    const rotated = [...seen].filter((n) => /^chatty\.0\.log\.\d+$/.test(n)).sort();
    assert.deepEqual(rotated, ['chatty.0.log.1', 'chatty.0.log.2'], 'more than 2 rotated files');
    assert.equal(existsSync(`${file}.3`), false);
  });

  it('with maxBytes 0 never rotates nor watches: one file holds every byte past 10 MiB', async (t) => {
    const dir = stateDir();
    // A small bound for the whole manager, so a service without its own limits rotates.
    const manager = await openManager(t, { stateDir: dir, logLimits: { maxBytes: MiB, keep: 1 } });
    const name = uniqueStack('nolimit');
    const n = 1_600_000; // 11.7 MB of `seq` output
    const expected = seqText(n);
    assert.ok(expected.length > 10 * MiB);
    await manager.up({
      name,
      services: [
        shService('quiet', `seq 1 ${n}; exec sleep 1000`, { logs: { maxBytes: 0, keep: 3 } }),
        shService('bounded', `seq 1 ${n}; exec sleep 1000`),
      ],
    });
    const logDir = join(dir, 'logs', name);
    const file = join(logDir, 'quiet.0.log');
    const bounded = join(logDir, 'bounded.0.log');
    assert.equal(inotifyWatchesOn(file), 0, 'a log file without rotation is watched');
    assert.equal(inotifyWatchesOn(bounded), 1, 'a log file with the default limits is not guarded');
    await untilInFolder(t, logDir, () => statSync(file).size >= expected.length, `${file} holds the output`);
    await untilInFolder(
      t,
      logDir,
      () => existsSync(`${bounded}.1`),
      `${bounded} rotated at the manager's bound`,
    );
    assert.equal(readFileSync(file, 'utf8'), expected, 'a byte is missing or extra');
    assert.deepEqual(
      readdirSync(logDir).filter((f) => f.startsWith('quiet.')),
      ['quiet.0.log'],
    );
  });

  it('rejects limits that are not whole numbers ≥ 0 with INVALID_SPEC naming the service', async (t) => {
    const manager = await openManager(t);
    for (const logs of [
      { maxBytes: -1, keep: 3 },
      { maxBytes: 1.5, keep: 3 },
      { maxBytes: 1024, keep: -1 },
      { maxBytes: Number.NaN, keep: 1 },
    ]) {
      await assert.rejects(
        manager.up({ name: uniqueStack('badlogs'), services: [shService('w', 'exec sleep 1000', { logs })] }),
        (e: unknown) =>
          e instanceof OrchestrationError &&
          e.code === 'INVALID_SPEC' &&
          e.message.startsWith('service w: logs must be { maxBytes, keep }'),
      );
    }
    assert.deepEqual(manager.stacks(), [], 'an invalid stack was taken');
  });

  it('a change of only the limits applies at the next start, is persisted, and adopted with the service', async (t) => {
    const dir = stateDir();
    const name = uniqueStack('changed');
    const logFile = join(dir, 'logs', name, 'w.0.log');
    const script = `trap 'dd if=/dev/zero bs=${96 * KiB} count=1 2>/dev/null' USR1; echo ready; while :; do sleep 1000 & wait $!; done`;
    // Ready once the trap is set; an exec probe, as a `log` probe would watch the file itself.
    const spec = (logs?: { maxBytes: number; keep: number }) =>
      shService('w', script, {
        readiness: probe({ kind: 'exec', command: ['grep', '-qx', 'ready', logFile] }),
        ...(logs === undefined ? {} : { logs }),
      });
    const first = await ServiceManager.open({ stateDir: dir });
    t.after(() => first.close().catch(() => undefined));
    await first.up({ name, services: [spec({ maxBytes: 0, keep: 1 })] });
    assert.equal(inotifyWatchesOn(logFile), 0);
    await first.down(name);
    // Only the limits change: the stopped service takes them at its next start.
    await first.up({ name, services: [spec({ maxBytes: 64 * KiB, keep: 1 })] });
    assert.equal(inotifyWatchesOn(logFile), 1);
    await first.flush();
    const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
      stacks: Record<string, { spec: { services: { logs?: unknown }[] } }>;
    };
    assert.deepEqual(saved.stacks[name]?.spec.services[0]?.logs, { maxBytes: 64 * KiB, keep: 1 });
    const pid = stateOf(first, name, 'w').pid as number;
    await first.close();
    assert.equal(inotifyWatchesOn(logFile), 0, 'a closed manager still watches');
    // A new manager adopts the running instance and guards its file with the persisted limits.
    const second = await openManager(t, { stateDir: dir });
    assert.equal(stateOf(second, name, 'w').pid, pid, 'adopted, not restarted');
    assert.deepEqual(second.spec(name).services[0]?.logs, { maxBytes: 64 * KiB, keep: 1 });
    assert.equal(inotifyWatchesOn(logFile), 1);
    process.kill(pid, 'SIGUSR1');
    await untilInFolder(
      t,
      join(dir, 'logs', name),
      () => existsSync(`${logFile}.1`),
      'rotated after adoption',
    );
  });

  it('loads a state whose specs have no limits (older files): the manager default applies', async (t) => {
    const dir = stateDir();
    const name = uniqueStack('older');
    const older = {
      version: 1,
      stacks: {
        [name]: {
          spec: {
            name,
            services: [
              {
                name: 'w',
                target: { kind: 'process', command: { shell: 'exec sleep 1000' } },
                dependsOn: {},
                restart: {
                  policy: 'on-failure',
                  maxRestarts: 10,
                  backoff: { initialMs: 100, maxMs: 30_000, factor: 2, jitter: 0.2 },
                  resetAfterMs: 60_000,
                  breaker: { failures: 20, windowMs: 60_000 },
                },
                shutdown: { signal: 'SIGTERM', timeoutMs: 2000 },
                replicas: 1,
                ports: {},
                disabled: false,
              },
            ],
          },
          desired: [],
          instances: {},
        },
      },
    };
    writeFileSync(join(dir, 'state.json'), JSON.stringify(older));
    const manager = await openManager(t, { stateDir: dir });
    const spec = manager.spec(name);
    assert.equal(spec.services[0]?.logs, undefined);
    const outcome = await manager.up(spec);
    assert.equal(outcome.ok, true);
    assert.equal(inotifyWatchesOn(join(dir, 'logs', name, 'w.0.log')), 1, 'guarded with the default limits');
  });
});

describe('LogStore limits', () => {
  it('guards a file with the limits given, and not at all with maxBytes 0', (t) => {
    const store = new LogStore(scratch(t), { maxBytes: MiB, keep: 3 });
    const file = store.file('s', 'svc', 0);
    writeFileSync(file, 'x'.repeat(2000));
    const off = store.guard(file, { maxBytes: 0, keep: 3 });
    assert.equal(inotifyWatchesOn(file), 0);
    off();
    assert.equal(existsSync(`${file}.1`), false);
    const on = store.guard(file, { maxBytes: 1000, keep: 1 });
    t.after(on);
    assert.equal(inotifyWatchesOn(file), 1);
    // The guard checks at once: the file is past its own bound (not the store's 1 MiB).
    assert.equal(statSync(file).size, 0);
    assert.equal(readFileSync(`${file}.1`, 'utf8').length, 2000);
    on();
    assert.equal(inotifyWatchesOn(file), 0);
  });

  it('never rotates with maxBytes 0, and keep 0 empties the file without copies', (t) => {
    const store = new LogStore(scratch(t));
    const file = store.file('s', 'svc', 0);
    writeFileSync(file, 'y'.repeat(5000));
    assert.equal(store.rotateIfNeeded(file, 5000, { maxBytes: 0, keep: 3 }), false);
    assert.equal(statSync(file).size, 5000);
    assert.equal(store.rotateIfNeeded(file, 5000, { maxBytes: 4096, keep: 0 }), true);
    assert.equal(statSync(file).size, 0);
    assert.equal(existsSync(`${file}.1`), false);
  });

  it('a writer as fast as seq loses at most a sliver at each rotation, not the writes of a whole copy', async (t) => {
    const store = new LogStore(scratch(t));
    const file = store.file('s', 'fast', 0);
    const fd = openSync(file, 'a');
    t.after(() => closeSync(fd));
    const stop = store.guard(file, { maxBytes: 2 * MiB, keep: 100 });
    t.after(stop);
    const n = 3_000_000;
    const child = spawn('seq', ['1', String(n)], { stdio: ['ignore', fd, 'ignore'] });
    await once(child, 'exit');
    // A check the last writes scheduled runs in its own turn: let it, then count.
    await new Promise<void>((resolve) => setImmediate(resolve));
    stop();
    const files = readdirSync(join(file, '..')).filter((f) => f.startsWith('fast.0.log'));
    assert.ok(files.length >= 4, `rotated several times: ${files.join(' ')}`);
    let lines = 0;
    for (const f of files) {
      for (const l of readFileSync(join(file, '..', f), 'utf8').split('\n')) if (l !== '') lines++;
    }
    // Copy-then-truncate lost what was written during each copy: about one line in eight with
    // this writer. Catching up before the truncate leaves microseconds per rotation.
    assert.ok(n - lines < n / 50, `lost ${n - lines} of ${n} lines over ${files.length - 1} rotations`);
  });
});
