// `harness up` in the foreground follows the services' logs as `harness logs --follow` does:
// every line of a service writing as fast as it can arrives, in order, also when its stdout is
// not read for a while.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { untilInFolder } from '@harness/test-fixtures';
import { endsWith, floodStack, setup, spawnUntil, untilLine } from './e2e-helpers.js';

describe('harness up in the foreground', { timeout: 180_000 }, () => {
  it('shows every line of a service writing as fast as it can, in order, though stdout stalls', async (t) => {
    const e = await setup(t);
    const n = 200_000;
    const stack = `upflood-${process.pid}`;
    const log = join(e.home, 'state', 'logs', stack, 'gen.0.log');
    writeFileSync(join(e.dir, 'harness.yaml'), floodStack(stack, n, 'go'));
    const { child, lines, done } = await spawnUntil(e, /^gen {2}\| waiting$/, 'up');
    // Its stdout pipe fills, it blocks writing, its socket is not read: the daemon must wait.
    child.stdout?.pause();
    writeFileSync(join(e.dir, 'go'), '');
    await untilInFolder(t, join(e.home, 'state', 'logs', stack), () => endsWith(log, `\n${n}\n`), 'seq done');
    child.stdout?.resume();
    await untilLine(child, lines, `gen  | ${n}`);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.includes('dropped'), false, r.stderr);
    assert.match(r.stderr, /harness: stopped/);
    let first = lines.lastIndexOf('gen  | waiting') + 1;
    for (let i = 1; i <= n; i++, first++) {
      if (lines[first] !== `gen  | ${i}`) assert.fail(`line ${i} is ${lines[first]}`);
    }
    assert.equal(lines.length, first, `lines after ${n}: ${lines.slice(first, first + 3).join(' / ')}`);
  });
});
