/**
 * The worker's `logLimits`: `maxBytes` 0 turns rotation off, as `logs: { max_size: 0 }` does in
 * harness.yaml (the files are not even watched); negative and fractional bounds are refused,
 * naming the option.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inotifyWatchesOn } from '@harness/test-fixtures';
import { init, WorkerError } from '../src/index.js';
import { scratch, shService, startWorker, stateDir, uniqueStack } from './helpers.js';

const MiB = 1024 * 1024;

/** The text `seq 1 n` prints. */
function seqText(n: number): string {
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) parts.push(`${i}\n`);
  return parts.join('');
}

describe('worker log limits', { timeout: 120_000 }, () => {
  it('with maxBytes 0 never rotates nor watches: one file holds every byte past the default 10 MiB', async (t) => {
    const dir = stateDir();
    const { worker } = await startWorker(t, {
      stateDir: dir,
      host: 'box-1',
      logLimits: { maxBytes: 0, keep: 1 },
    });
    const stack = uniqueStack('nolimit');
    const n = 1_600_000; // 11.7 MB of `seq` output: past the manager's default bound
    const expected = seqText(n);
    assert.ok(expected.length > 10 * MiB);
    const outcome = await worker.api.up({
      name: stack,
      services: [
        shService('quiet', `seq 1 ${n}; exec sleep 1000`),
        // Its own bound: guarded, so the count below sees a guard where there is one.
        shService('bounded', 'exec sleep 1000', { logs: { maxBytes: MiB, keep: 1 } }),
      ],
    });
    assert.equal(outcome.ok, true);
    const logDir = join(dir, 'logs', stack);
    const file = join(logDir, 'quiet.0.log');
    // The guard of a running instance is set before up() resolves: none for the worker's 0.
    assert.equal(
      inotifyWatchesOn(join(logDir, 'bounded.0.log')),
      1,
      'a log file with a bound is not guarded',
    );
    assert.equal(inotifyWatchesOn(file), 0, 'a log file without rotation is watched');
    // Read until the last line is written (a bounded wait on the log itself).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 60_000);
    let last = false;
    try {
      for await (const l of worker.api.logs(stack, ['quiet'], {
        tail: 1,
        follow: true,
        signal: abort.signal,
      })) {
        if (l.line === String(n)) {
          last = true;
          break;
        }
      }
    } finally {
      clearTimeout(timer);
    }
    assert.ok(last, `line ${n} was not written within 60 s`);
    assert.deepEqual(
      readdirSync(logDir).filter((f) => f.startsWith('quiet.')),
      ['quiet.0.log'],
      'a rotated file was made',
    );
    assert.equal(readFileSync(file, 'utf8'), expected, 'a byte is missing or extra');
  });

  it('refuses a negative or fractional maxBytes, and a keep that is not a whole number, saying what fits', async (t) => {
    const dir = scratch(t);
    for (const [logLimits, bad] of [
      [{ maxBytes: -1, keep: 3 }, 'logLimits.maxBytes must be a whole number ≥ 0 (0: no rotation), got -1'],
      [{ maxBytes: 1.5, keep: 3 }, 'logLimits.maxBytes must be a whole number ≥ 0 (0: no rotation), got 1.5'],
      [
        { maxBytes: '10' as unknown as number, keep: 3 },
        'logLimits.maxBytes must be a whole number ≥ 0 (0: no rotation), got "10"',
      ],
      [{ maxBytes: 0, keep: 0.5 }, 'logLimits.keep must be a whole number ≥ 0, got 0.5'],
    ] as const) {
      await assert.rejects(init({ stateDir: dir, host: 'box-1', logLimits }), (e: unknown) => {
        assert.ok(e instanceof WorkerError);
        assert.equal(e.code, 'INVALID_OPTION');
        assert.equal(e.message, `invalid worker options: ${bad}`);
        return true;
      });
    }
  });
});
