import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command, CommandError, LocalLauncher, SharedEventStream, stopTree } from '../src/index.js';
import { cgroupsNamed, scratch, uniqueName } from './fixtures-proc/helpers.js';

const launcher = new LocalLauncher();
const LABEL = uniqueName('ceerr');

/** A predicate for assert.rejects/throws: a CommandError with this code (and message part). */
const commandError = (code: string, says?: string) => (e: unknown) => {
  assert.ok(e instanceof CommandError, String(e));
  assert.equal(e.code, code, e.message);
  if (says !== undefined) assert.ok(e.message.includes(says), e.message);
  return true;
};

describe('errors before anything runs', () => {
  it('ENOENT_PROGRAM names the program (bare name and path)', async () => {
    await assert.rejects(
      launcher.launch(Command.of('no-such-program-xyz'), { name: LABEL }),
      commandError('ENOENT_PROGRAM', 'no-such-program-xyz'),
    );
    await assert.rejects(
      launcher.launch(Command.of('./bin/nothing-here'), { name: LABEL }),
      commandError('ENOENT_PROGRAM', './bin/nothing-here'),
    );
  });

  it('ENOENT_CWD for a working folder that is missing or a file', async (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, 'file'), '');
    await assert.rejects(
      launcher.launch(Command.of('true').withCwd(join(dir, 'missing')), { name: LABEL }),
      commandError('ENOENT_CWD', join(dir, 'missing')),
    );
    await assert.rejects(
      launcher.launch(Command.of('true').withCwd(join(dir, 'file')), { name: LABEL }),
      commandError('ENOENT_CWD', 'not a folder'),
    );
  });

  it('EACCES_PROGRAM for a file without execute permission, and for a folder', async (t) => {
    const dir = scratch(t);
    const script = join(dir, 'script.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    await assert.rejects(
      launcher.launch(Command.of(script), { name: LABEL }),
      commandError('EACCES_PROGRAM', script),
    );
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'bin', 'tool'), 0o600);
    await assert.rejects(
      launcher.launch(Command.of('tool').withEnv({ PATH: join(dir, 'bin') }), { name: LABEL }),
      commandError('EACCES_PROGRAM', 'tool'),
    );
    await assert.rejects(launcher.launch(Command.of(dir), { name: LABEL }), commandError('EACCES_PROGRAM'));
  });

  it('INVALID_COMMAND for an empty program, a NUL byte or a bad environment name', () => {
    assert.throws(() => Command.of(''), commandError('INVALID_COMMAND'));
    assert.throws(() => Command.of('echo', 'a\0b'), commandError('INVALID_COMMAND', 'NUL'));
    assert.throws(() => Command.of('env').withEnv({ '1BAD': 'x' }), commandError('INVALID_COMMAND', '1BAD'));
    assert.throws(() => Command.of('env').withEnv({ 'A=B': 'x' }), commandError('INVALID_COMMAND', 'A=B'));
    assert.throws(() => Command.of('env').withEnv({ OK: 'a\0' }), commandError('INVALID_COMMAND', 'OK'));
  });

  it('INVALID_OPTION for bad launch and run options, with the value quoted', async () => {
    const cmd = Command.of('true');
    await assert.rejects(launcher.launch(cmd, { maxLineLength: 2 }), commandError('INVALID_OPTION', '2'));
    await assert.rejects(
      launcher.launch(cmd, { cgroup: 'sometimes' as 'auto' }),
      commandError('INVALID_OPTION', '"sometimes"'),
    );
    await assert.rejects(
      launcher.launch(cmd, { events: { bufferSize: 0 } }),
      commandError('INVALID_OPTION', 'bufferSize'),
    );
    await assert.rejects(launcher.run(cmd, { timeout: -1 }), commandError('INVALID_OPTION', '-1'));
    await assert.rejects(launcher.run(cmd, { killAfter: Number.NaN }), commandError('INVALID_OPTION'));
    await assert.rejects(stopTree({ pid: process.pid, pgid: process.pid }, { timeout: -5 }), RangeError);
  });

  it('LOG_FILE for a log file that cannot be opened, leaving no cgroup behind', async (t) => {
    const dir = scratch(t);
    await assert.rejects(
      launcher.launch(Command.of('true'), { name: LABEL, logFiles: { stdout: join(dir, 'no', 'out.log') } }),
      commandError('LOG_FILE', join(dir, 'no', 'out.log')),
    );
    await assert.rejects(
      launcher.launch(Command.of('true'), {
        name: LABEL,
        logFiles: { stdout: join(dir, 'out.log'), stderr: join(dir, 'no', 'err.log') },
      }),
      commandError('LOG_FILE', 'err.log'),
    );
    assert.deepEqual(cgroupsNamed(LABEL), []);
  });

  it("SPAWN_FAILED when cgroup: 'required' and the launcher has no cgroups", async () => {
    const without = new LocalLauncher({ cgroupRoot: null });
    assert.equal(without.cgroupsAvailable, false);
    await assert.rejects(
      without.launch(Command.of('true'), { cgroup: 'required' }),
      commandError('SPAWN_FAILED', 'cgroup'),
    );
  });
});

describe('errors of a running process', () => {
  it('STDIN_CLOSED when writing to a process not started with a pipe', async () => {
    const [, handle] = await launcher.launch(Command.of('sleep', '1000'), { name: LABEL });
    assert.throws(() => handle.write('x'), commandError('STDIN_CLOSED', "stdin: 'pipe'"));
    assert.throws(() => handle.end(), commandError('STDIN_CLOSED'));
    await handle.kill();
  });

  it('STDIN_CLOSED when writing after end() or after the process exited', async () => {
    const [, handle] = await launcher.launch(Command.of('cat').withStdin('pipe'), { name: LABEL });
    await handle.end();
    await assert.rejects(handle.write('late\n'), commandError('STDIN_CLOSED'));
    await handle.wait();
    const [, quick] = await launcher.launch(Command.shell('exec 0<&-; exit 0').withStdin('pipe'), {
      name: LABEL,
    });
    await quick.wait();
    await assert.rejects(quick.write(Buffer.alloc(1 << 20)), commandError('STDIN_CLOSED'));
    await assert.rejects(quick.write('small'), commandError('STDIN_CLOSED'));
  });
});

describe('SharedEventStream options', () => {
  it('refuses bad history, bufferSize and replay with INVALID_OPTION', () => {
    assert.throws(() => new SharedEventStream({ history: -1 }), commandError('INVALID_OPTION', '-1'));
    assert.throws(() => new SharedEventStream({ history: 1.5 }), commandError('INVALID_OPTION', '1.5'));
    assert.throws(() => new SharedEventStream({ bufferSize: 0 }), commandError('INVALID_OPTION', '0'));
    const s = new SharedEventStream();
    assert.throws(() => s.subscribe({ bufferSize: Number.NaN }), commandError('INVALID_OPTION'));
    assert.throws(() => s.subscribe({ replay: -2 }), commandError('INVALID_OPTION', '-2'));
    assert.throws(() => s.subscribe({ replay: 'some' as 'all' }), commandError('INVALID_OPTION', '"some"'));
  });
});
