/**
 * Per-service log rotation end to end, through the built CLI and its daemon: `logs:` in
 * harness.yaml, shown by `config print`, applied to the real log files.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { untilInFolder } from '@harness/test-fixtures';
import { harness, setup } from './e2e-helpers.js';

const KiB = 1024;

describe('log rotation settings in harness.yaml, end to end', { timeout: 180_000 }, () => {
  it('a 64KiB/2 service rotates into .1 and .2 only; a max_size 0 service keeps every byte in one file', async (t) => {
    const e = await setup(t);
    const stack = `loglimits-${process.pid}`;
    const logDir = join(e.home, 'state', 'logs', stack);
    const small = join(logDir, 'small.0.log');
    const whole = join(logDir, 'whole.0.log');
    const bursts = [1, 2, 3, 4, 5].map((k) => {
      const line = `burst ${k} ${'x'.repeat(100)}\n`;
      const text = `${line.repeat(Math.ceil((80 * KiB) / line.length)).slice(0, 80 * KiB - 1)}\n`;
      writeFileSync(join(e.dir, `burst-${k}`), text);
      return text;
    });
    // Each 80 KiB burst is one write() (dd); the next waits until the file was rotated (emptied).
    const smallScript = `for k in 1 2 3 4 5; do dd if=burst-$k bs=1M count=1 2>/dev/null; while [ -s '${small}' ]; do sleep 0.02; done; done; echo all-done; exec sleep 1000`;
    const n = 1_600_000; // `seq` prints 11.7 MB, past the 10 MiB default
    writeFileSync(
      join(e.dir, 'harness.yaml'),
      `name: ${stack}
services:
  small:
    process: { command: "${smallScript}" }
    logs: { max_size: 64KiB, keep: 2 }
  whole:
    process: { command: "seq 1 ${n}; echo seq-done; exec sleep 1000" }
    logs: { max_size: 0 }
`,
    );
    const print = await harness(e, 'config', 'print', '--json');
    assert.equal(print.code, 0, print.stderr);
    const resolved = JSON.parse(print.stdout) as { services: Record<string, { logs: unknown }> };
    assert.deepEqual(resolved.services.small?.logs, { maxBytes: 64 * KiB, keep: 2 });
    assert.deepEqual(resolved.services.whole?.logs, { maxBytes: 0, keep: 3 });

    const up = await harness(e, 'up', '-d');
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    await untilInFolder(
      t,
      logDir,
      () => readFileSync(small, 'utf8') === 'all-done\n',
      'small wrote its 5 bursts',
    );
    await untilInFolder(
      t,
      logDir,
      () => readFileSync(whole, 'utf8').endsWith('seq-done\n'),
      'whole wrote all',
    );

    assert.equal(readFileSync(`${small}.1`, 'utf8'), bursts[4]);
    assert.equal(readFileSync(`${small}.2`, 'utf8'), bursts[3]);
    // Nothing removes a rotated file past `keep`, so one that was ever made would still be here.
    assert.deepEqual(
      readdirSync(logDir)
        .filter((f) => f.startsWith('small.'))
        .sort(),
      ['small.0.log', 'small.0.log.1', 'small.0.log.2'],
    );

    let expected = '';
    for (let i = 1; i <= n; i++) expected += `${i}\n`;
    expected += 'seq-done\n';
    assert.equal(statSync(whole).size, expected.length);
    assert.equal(readFileSync(whole, 'utf8'), expected, 'a byte is missing or extra');
    assert.equal(existsSync(`${whole}.1`), false, 'a service with max_size 0 was rotated');

    const down = await harness(e, 'down');
    assert.equal(down.code, 0, down.stderr);
  });
});
