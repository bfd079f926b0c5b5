import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FixtureError, isStaticElf } from '../src/index.js';
import { isAlive, logTail, readPidFile, requireBinary, runQuiet, runStep } from '../src/system.js';

describe('fixture helpers', () => {
  it('names a missing binary and its package', () => {
    assert.throws(
      () => requireBinary('harness-no-such-binary', 'harness-pkg'),
      (e: unknown) => {
        assert.ok(e instanceof FixtureError);
        assert.equal(e.code, 'MISSING_BINARY');
        assert.match(e.message, /harness-no-such-binary is not installed \(Debian package harness-pkg/);
        return true;
      },
    );
    assert.equal(requireBinary('/bin/sh', 'dash'), '/bin/sh');
  });

  it('throws STEP_FAILED with the output of a failing step', async () => {
    await assert.rejects(runStep('sh', ['-c', 'echo oops >&2; exit 3']), (e: unknown) => {
      assert.ok(e instanceof FixtureError);
      assert.equal(e.code, 'STEP_FAILED');
      assert.match(e.message, /exited with 3/);
      assert.equal(e.logTail, 'oops');
      return true;
    });
    const r = await runQuiet('harness-no-such-binary', []);
    assert.equal(r.exitCode, 127);
  });

  it('tells static from dynamic executables', () => {
    assert.equal(isStaticElf(readFileSync(requireBinary('busybox', 'busybox-static'))), true);
    assert.equal(isStaticElf(readFileSync(process.execPath)), false);
    assert.equal(isStaticElf(Buffer.from('#!/bin/sh\n')), false);
  });

  it('reads pid files and process state', () => {
    assert.equal(readPidFile('/nonexistent/pid'), undefined);
    assert.equal(isAlive(process.pid), true);
    assert.equal(isAlive(0x3fffffff), false);
    assert.equal(logTail('/nonexistent/log'), '');
  });
});
