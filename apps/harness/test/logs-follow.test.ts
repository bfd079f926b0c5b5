// `harness logs --follow` against a service that writes as fast as it can: every line arrives,
// in order, and a follower that stops reading holds up nothing else.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Env, harness, ps, setup, spawnUntil } from './e2e-helpers.js';

/**
 * Replaces the example's stack with `flood`: its service prints `ready`, then `seq 1 n` as fast
 * as it can once the returned function is called.
 */
async function flood(e: Env, n: number): Promise<() => void> {
  const fifo = join(e.dir, 'go');
  execFileSync('mkfifo', [fifo]);
  writeFileSync(
    join(e.dir, 'harness.yaml'),
    [
      'name: flood',
      'services:',
      '  gen:',
      '    process:',
      `      command: [sh, -c, "echo ready; cat go >/dev/null; seq 1 ${n}; exec sleep 100000"]`,
      '',
    ].join('\n'),
  );
  const up = await harness(e, 'up', '-d');
  assert.equal(up.code, 0, up.stderr);
  return () => closeSync(openSync(fifo, 'w'));
}

/** Resolves once `lines` holds `count` lines (checked as stdout comes in). */
function untilLines(child: { stdout: NodeJS.ReadableStream | null }, lines: string[], count: number) {
  return new Promise<void>((resolve) => {
    const check = (): void => {
      if (lines.length < count) return;
      child.stdout?.off('data', check);
      resolve();
    };
    // After the collector's own listener (added first), so `lines` is up to date here.
    child.stdout?.on('data', check);
    check();
  });
}

describe('harness logs --follow', { timeout: 180_000 }, () => {
  it('shows every line of a service writing as fast as it can, in order', async (t) => {
    const e = await setup(t);
    const n = 300_000;
    const go = await flood(e, n);
    const { child, lines, done } = await spawnUntil(e, /^ready$/, 'logs', '--follow', '-n', '1', 'gen');
    go();
    await untilLines(child, lines, n + 1);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.includes('dropped'), false, r.stderr);
    assert.equal(lines.length, n + 1);
    for (let i = 1; i <= n; i++) if (lines[i] !== String(i)) assert.fail(`line ${i} is ${lines[i]}`);
  });

  it('a follower that stops reading holds up neither the daemon nor itself: it gets every line later', async (t) => {
    const e = await setup(t);
    const n = 1_000_000;
    const go = await flood(e, n);
    const { child, lines, done } = await spawnUntil(e, /^ready$/, 'logs', '--follow', '-n', '1', 'gen');
    child.stdout?.pause(); // its stdout pipe fills, it blocks writing, its socket is not read
    go();
    const rows = await ps(e);
    assert.equal(rows.find((r) => r.service === 'gen')?.state, 'running');
    child.stdout?.resume();
    await untilLines(child, lines, n + 1);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    for (let i = 1; i <= n; i++) if (lines[i] !== String(i)) assert.fail(`line ${i} is ${lines[i]}`);
  });
});
