import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
// The light subpath, resolved through the package's own "exports" (dist/proc.js).
import {
  isRunning,
  listProcesses,
  type ProcStat,
  processGroupMembers,
  readProcStat,
  trySignal,
} from '@harness/command-executor/proc';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('@harness/command-executor/proc', () => {
  it('reads this process: comm, state, parent, group, session, cpu ticks, start time', () => {
    const st = readProcStat(process.pid) as ProcStat;
    assert.ok(st !== undefined);
    assert.equal(st.pid, process.pid);
    assert.equal(st.ppid, process.ppid);
    assert.ok(st.comm.length > 0 && st.comm.length <= 15, st.comm);
    assert.match(st.state, /^[RSD]$/);
    assert.ok(Number.isInteger(st.pgid) && st.pgid > 0);
    assert.ok(Number.isInteger(st.sid) && st.sid >= 0);
    assert.ok(Number.isInteger(st.utime) && st.utime >= 0);
    assert.ok(Number.isInteger(st.stime) && st.stime >= 0);
    assert.ok(Number.isInteger(st.startTime) && st.startTime > 0);
    assert.equal(isRunning(process.pid), true);
    assert.equal(isRunning(process.pid, st.startTime), true);
    assert.equal(isRunning(process.pid, st.startTime + 1), false, 'another start time is another process');
  });

  it('reads a comm holding spaces and parentheses', async () => {
    // comm is the program's file name: a copy of sleep named `a) (b c)` gives one with both.
    const dir = mkdtempSync(join(tmpdir(), 'ce-proc-'));
    const program = join(dir, 'a) (b c)');
    copyFileSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), program);
    chmodSync(program, 0o755);
    const child = spawn(program, ['30'], { stdio: 'ignore' });
    await once(child, 'spawn');
    try {
      const st = readProcStat(child.pid as number);
      assert.equal(st?.comm, 'a) (b c)');
      assert.equal(st?.ppid, process.pid);
      assert.match(st?.state ?? '', /^[RSD]$/);
      assert.equal(isRunning(child.pid as number, st?.startTime), true);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a zombie and a missing pid are not running; a dead pid reads as undefined', async () => {
    const child = spawn('true', { stdio: 'ignore' });
    const pid = child.pid as number;
    // Until node reaps it, the exited child is a zombie: isRunning says no either way.
    await once(child, 'exit');
    assert.equal(isRunning(pid), false);
    assert.equal(readProcStat(2 ** 22 + 1), undefined);
    assert.equal(isRunning(2 ** 22 + 1), false);
    assert.equal(trySignal(2 ** 22 + 1, 0), false);
    assert.equal(trySignal(process.pid, 0), true);
  });

  it('lists every process, and the members of a process group', async () => {
    const all = listProcesses();
    assert.ok(all.some((p) => p.pid === process.pid));
    assert.ok(all.some((p) => p.pid === 1));
    const leader = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore', detached: true });
    await once(leader, 'spawn');
    const pgid = leader.pid as number;
    try {
      const deadline = Date.now() + 10_000;
      let members = processGroupMembers(pgid);
      const comms = (): string[] => members.map((m) => m.comm).sort();
      // Forked children are `sh` until they exec `sleep`: wait for both.
      while (comms().join() !== 'sh,sleep,sleep' && Date.now() < deadline) {
        await new Promise((r) => setImmediate(r));
        members = processGroupMembers(pgid);
      }
      assert.deepEqual(members.map((m) => m.comm).sort(), ['sh', 'sleep', 'sleep']);
      assert.ok(members.every((m) => m.pgid === pgid));
    } finally {
      process.kill(-pgid, 'SIGKILL');
      await once(leader, 'exit');
    }
  });

  it('imports nothing but node: built-ins (no launcher, no execa)', () => {
    // A resolve hook in a fresh node refuses anything that is not a built-in or dist/proc.js.
    const hook = `export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      if (!r.url.startsWith('node:') && !r.url.endsWith('/dist/proc.js')) throw new Error('loaded ' + r.url);
      return r;
    }`;
    const main = `import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const proc = await import('@harness/command-executor/proc');
      process.stdout.write(JSON.stringify(Object.keys(proc).sort()));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', main], {
      cwd: packageDir,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      'isRunning',
      'listProcesses',
      'processGroupMembers',
      'readProcStat',
      'trySignal',
    ]);
  });
});
