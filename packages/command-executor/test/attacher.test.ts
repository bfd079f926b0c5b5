import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import {
  Command,
  CommandError,
  FileFollower,
  isRunning,
  LocalAttacher,
  LocalLauncher,
  type LogFiles,
  readProcStat,
} from '../src/index.js';
import {
  alive,
  cgroupsNamed,
  eventually,
  linesOf,
  readUntil,
  scratch,
  uniqueName,
} from './fixtures-proc/helpers.js';

const LABEL = uniqueName('ceatt');
const attacher = new LocalAttacher();

interface Launched {
  readonly pid: number;
  readonly startTime: number;
  readonly cgroup: string | undefined;
  readonly logFiles: Required<LogFiles>;
}

const commandError = (code: string) => (e: unknown) => {
  assert.ok(e instanceof CommandError, String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

describe('log files mode and LocalAttacher', { timeout: 30_000 }, () => {
  it('launch() with logFiles gives lines as events with offsets, and exit', async (t) => {
    const dir = scratch(t);
    const logFiles = { stdout: join(dir, 'out.log'), stderr: join(dir, 'err.log') };
    const [events, handle] = await new LocalLauncher().launch(
      Command.shell('echo one; echo two >&2; printf "três"'),
      { logFiles, name: LABEL },
    );
    const got = await readUntil(events.subscribe({ replay: 'all' }), (e) => e.type === 'exit');
    assert.deepEqual(linesOf(got), ['one', 'três']);
    assert.deepEqual(linesOf(got, 'stderr'), ['two']);
    const offsets = got.flatMap((e) => (e.type === 'stdout' ? [e.offset] : []));
    assert.deepEqual(offsets, [4, 4 + Buffer.byteLength('três')]);
    assert.deepEqual(handle.logOffsets(), { stdout: 4 + Buffer.byteLength('três'), stderr: 4 });
    assert.deepEqual(await handle.wait(), { code: 0, signal: null });
  });

  it('a launcher that detached from its service exits on its own; the service runs on', async (t) => {
    const dir = scratch(t);
    const fixture = join(import.meta.dirname, 'fixtures-proc', 'launch-logged.ts');
    const launcherProc = spawn(process.execPath, ['--import', 'tsx', fixture, dir, LABEL, 'detach'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [first] = (await once(createInterface({ input: launcherProc.stdout }), 'line')) as [string];
    const svc = JSON.parse(first) as Launched;
    t.after(async () => {
      if (alive([svc.pid]).length > 0) process.kill(-svc.pid, 'SIGKILL');
      // Its launcher is gone, so nobody else removes the cgroup once it is empty.
      const cg = svc.cgroup;
      if (cg !== undefined) assert.ok(await eventually(() => removed(cg), 6000), `${cg} removed`);
    });
    const bound = setTimeout(() => launcherProc.kill('SIGKILL'), 20_000);
    const [code, signal] = await once(launcherProc, 'exit');
    clearTimeout(bound);
    assert.deepEqual([code, signal], [0, null], 'the launcher ended by itself, not by the bound');
    assert.equal(isRunning(svc.pid, svc.startTime), true, 'the service runs on');
  });

  it('the service outlives its killed launcher, keeps logging, and is attached, followed and stopped', async (t) => {
    const dir = scratch(t);
    const fixture = join(import.meta.dirname, 'fixtures-proc', 'launch-logged.ts');
    const launcherProc = spawn(process.execPath, ['--import', 'tsx', fixture, dir, LABEL], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [first] = (await once(createInterface({ input: launcherProc.stdout }), 'line')) as [string];
    const svc = JSON.parse(first) as Launched;
    t.after(() => {
      if (alive([svc.pid]).length > 0) process.kill(-svc.pid, 'SIGKILL');
    });

    launcherProc.kill('SIGKILL');
    await once(launcherProc, 'exit');
    assert.equal(isRunning(svc.pid, svc.startTime), true, 'the service runs on without its launcher');
    assert.ok(svc.cgroup?.includes(`/${LABEL}-`), String(svc.cgroup));

    // Its log still grows: a follower from the current end sees new lines.
    const size = statSync(svc.logFiles.stdout).size;
    const seen: string[] = [];
    let grown: () => void = () => undefined;
    const growing = new Promise<void>((r) => {
      grown = r;
    });
    const probe = new FileFollower(svc.logFiles.stdout, {
      stream: 'stdout',
      from: size,
      onLine: (e) => {
        seen.push(e.line);
        if (seen.length >= 3) grown();
      },
    });
    await probe.start();
    await growing;
    await probe.close();

    // Attach, resuming from offsets: every line after them, exactly once, in order.
    const offsets = { stdout: size, stderr: statSync(svc.logFiles.stderr).size };
    const h = await attacher.attach({ ...svc, offsets });
    assert.equal(h.status(), 'running');
    const reader = h.events.subscribe({ replay: 'all' });
    const before = await readUntil(reader, (e) => e.type === 'stdout' && linesOf([e]).length > 0);
    const firstLine = linesOf(before)[0] as string;
    assert.equal(firstLine, seen[0], 'it starts exactly at the offset');
    assert.ok(
      h.processes().some((p) => p.pid === svc.pid),
      'its tree is known',
    );

    const stopped = h.stop({ timeout: 5000 });
    const rest = await readUntil(reader, (e) => e.type === 'exit');
    assert.deepEqual({ ...(await stopped) }, { killed: false });
    const exit = rest.at(-1);
    assert.deepEqual(exit?.type === 'exit' && [exit.code, exit.signal], [null, null], 'exit code unknown');
    const lines = [firstLine, ...linesOf(rest)];
    const n = Number(firstLine.split(' ')[1]);
    assert.deepEqual(
      lines,
      lines.map((_, i) => `out ${n + i}`),
      'in order, none lost or doubled',
    );
    assert.ok(lines.length >= 1);
    assert.equal(h.status(), 'exited');
    assert.deepEqual(await h.wait(), { code: null, signal: null });
    const offsetsAfter = h.logOffsets();
    assert.equal(offsetsAfter?.stdout, statSync(svc.logFiles.stdout).size, 'read to the end');
    assert.deepEqual(alive([svc.pid]), []);
    assert.ok(await eventually(() => cgroupsNamed(LABEL).length === 0, 6000), 'its cgroup is removed');
  });

  it('detach() stops following and leaves the process running', async (t) => {
    const dir = scratch(t);
    const logFiles = { stdout: join(dir, 'out.log') };
    const [, handle] = await new LocalLauncher().launch(Command.of('sleep', '1000'), {
      logFiles,
      name: LABEL,
    });
    t.after(() => handle.kill());
    const h = await attacher.attach({
      pid: handle.pid,
      startTime: handle.startTime,
      logFiles,
      pollInterval: 10,
    });
    const reader = h.events.subscribe();
    await h.detach();
    assert.deepEqual(await reader.next(), { value: undefined, done: true });
    assert.equal(isRunning(handle.pid), true);
    await assert.rejects(h.wait(), commandError('DETACHED'));
    assert.equal(h.status(), 'running');
  });

  it('with follow: false, reads nothing back: started and exit only, offsets are the sizes', async (t) => {
    const dir = scratch(t);
    const logFiles = { stdout: join(dir, 'out.log'), follow: false };
    const [events, handle] = await new LocalLauncher().launch(
      Command.shell('seq 1 50000; echo err >&2; exit 3'),
      { logFiles, name: LABEL },
    );
    const got = await readUntil(events.subscribe({ replay: 'all' }), (e) => e.type === 'exit');
    assert.deepEqual(
      got.map((e) => e.type),
      ['started', 'exit'],
    );
    assert.deepEqual(await handle.wait(), { code: 3, signal: null });
    const size = statSync(logFiles.stdout).size;
    assert.equal(size, 288894 + 4, 'every byte of seq 1 50000 and the stderr line is in the file');
    assert.deepEqual(handle.logOffsets(), { stdout: size, stderr: size });

    const [, sleeper] = await new LocalLauncher().launch(Command.shell('echo hi; exec sleep 1000'), {
      logFiles,
      name: LABEL,
    });
    t.after(() => sleeper.kill());
    const h = await attacher.attach({
      pid: sleeper.pid,
      startTime: sleeper.startTime,
      logFiles,
      pollInterval: 20,
    });
    const reader = h.events.subscribe({ replay: 'all' });
    assert.equal((await reader.next()).value?.type, 'started');
    assert.ok(await eventually(() => statSync(logFiles.stdout).size === size + 3), 'hi written');
    assert.deepEqual(h.logOffsets(), { stdout: size + 3, stderr: size + 3 });
    await sleeper.kill();
    assert.deepEqual(await h.wait(), { code: null, signal: null });
    assert.equal((await reader.next()).value?.type, 'exit', 'no line event before the exit');
  });

  it('watches many attached processes on one timer, and sees each end', async (t) => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const sleepers = Array.from({ length: 20 }, () => spawn('sleep', ['1000'], { stdio: 'ignore' }));
    t.after(() => {
      for (const c of sleepers) c.kill('SIGKILL');
    });
    const before = timers();
    const handles = await Promise.all(
      sleepers.map((c) => {
        const st = readProcStat(c.pid as number);
        assert.ok(st !== undefined);
        return attacher.attach({ pid: st.pid, startTime: st.startTime, pollInterval: 20 });
      }),
    );
    assert.equal(timers() - before, 1, 'one shared timer for 20 processes');
    const waits = handles.map((h) => h.wait());
    for (const c of sleepers) c.kill('SIGKILL');
    const ended = await Promise.all(waits);
    assert.deepEqual(ended[0], { code: null, signal: null });
    assert.equal(ended.length, 20);
    assert.ok(await eventually(() => timers() === before), 'the timer stops with the last watch');
  });

  it('refuses a pid whose start time differs (PID_MISMATCH)', async () => {
    const me = readProcStat(process.pid);
    assert.ok(me !== undefined);
    await assert.rejects(
      attacher.attach({ pid: process.pid, startTime: me.startTime + 1 }),
      commandError('PID_MISMATCH'),
    );
  });

  it('refuses a dead pid (NOT_RUNNING)', async () => {
    const child = spawn('true');
    const pid = child.pid as number;
    await once(child, 'exit');
    assert.ok(await eventually(() => readProcStat(pid) === undefined), 'reaped');
    await assert.rejects(attacher.attach({ pid, startTime: 1 }), commandError('NOT_RUNNING'));
  });

  it('LOG_FILE when the log file to follow is missing', async (t) => {
    const dir = scratch(t);
    const me = readProcStat(process.pid);
    assert.ok(me !== undefined);
    await assert.rejects(
      attacher.attach({
        pid: process.pid,
        startTime: me.startTime,
        logFiles: { stdout: join(dir, 'none.log') },
      }),
      commandError('LOG_FILE'),
    );
  });
});

function removed(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
