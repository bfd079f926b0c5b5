// `harness up` in the foreground follows the services' logs as `harness logs --follow` does:
// every line of a service writing as fast as it can arrives, in order, also when its stdout is
// not read for a while.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { floodStack, followFlood, setup, spawnUntil } from './e2e-helpers.js';

describe('harness up in the foreground', { timeout: 180_000 }, () => {
  it('shows every line of a service writing as fast as it can, in order, though stdout stalls', async (t) => {
    const e = await setup(t);
    const n = 200_000;
    const stack = `upflood-${process.pid}`;
    const log = join(e.home, 'state', 'logs', stack, 'gen.0.log');
    writeFileSync(join(e.dir, 'harness.yaml'), floodStack(stack, n, 'go'));
    const run = await spawnUntil(e, /^gen {2}\| waiting$/, 'up');
    const { lines } = run;
    const r = await followFlood(t, run, join(e.dir, 'go'), log, n);
    assert.match(r.stderr, /harness: stopped/);
    let first = lines.lastIndexOf('gen  | waiting') + 1;
    for (let i = 1; i <= n; i++, first++) {
      if (lines[first] !== `gen  | ${i}`) assert.fail(`line ${i} is ${lines[first]}`);
    }
    assert.equal(lines.length, first, `lines after ${n}: ${lines.slice(first, first + 3).join(' / ')}`);
  });
});
