import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command, LocalLauncher, type ProcStat, readProcStat } from '../src/index.js';
import {
  alive,
  cgroupsNamed,
  eventually,
  linesOf,
  readUntil,
  scratch,
  uniqueName,
} from './fixtures-proc/helpers.js';

const launcher = new LocalLauncher();
const LABEL = uniqueName('cetest');

/** `sh` that starts a same-group and a setsid grandchild, prints their pids, then waits. */
const GRANDCHILDREN = 'sleep 1000 & a=$!; setsid sleep 1000 & b=$!; echo "$a $b"; wait';

describe('LocalLauncher.launch: stop() ends the whole tree', { timeout: 20_000 }, () => {
  it('has cgroups here (the cgroup tests below must run, not skip)', () => {
    assert.equal(launcher.cgroupsAvailable, true);
  });

  it('with a cgroup: grandchildren, setsid one included, are all gone when stop() resolves', async () => {
    const [events, handle] = await launcher.launch(Command.shell(GRANDCHILDREN), { name: LABEL });
    const [first] = linesOf(await readUntil(events.subscribe({ replay: 'all' }), (e) => e.type === 'stdout'));
    const [a, b] = (first ?? '').split(' ').map(Number) as [number, number];
    // setsid(2) runs in the forked child after the echo may already be done: no event tells when.
    assert.ok(
      await eventually(() => readProcStat(b)?.sid === b),
      'the setsid grandchild has its own session',
    );
    assert.ok(handle.cgroup?.includes(`/${LABEL}-`), String(handle.cgroup));
    const setsidOne = readProcStat(b) as ProcStat;
    assert.notEqual(setsidOne.sid, readProcStat(handle.pid)?.sid, 'the setsid grandchild left the session');
    assert.notEqual(setsidOne.pgid, handle.pgid);
    assert.deepEqual(
      handle
        .processes()
        .map((p) => p.pid)
        .sort(),
      [handle.pid, a, b].sort(),
      'the cgroup holds all three',
    );

    const result = await handle.stop({ timeout: 5000 });
    assert.deepEqual(alive([handle.pid, a, b]), [], 'every process is gone when stop() resolves');
    assert.equal(result.killed, false, 'SIGTERM was enough');
    assert.equal(result.signal, 'SIGTERM');
    assert.equal(result.code, null);
  });

  it("with cgroup: 'off': same-group grandchildren are gone; a setsid one escapes (needs the cgroup)", async (t) => {
    const [events, handle] = await launcher.launch(Command.shell(GRANDCHILDREN), { cgroup: 'off' });
    const [first] = linesOf(await readUntil(events.subscribe({ replay: 'all' }), (e) => e.type === 'stdout'));
    const [a, b] = (first ?? '').split(' ').map(Number) as [number, number];
    // setsid(2) runs in the forked child after the echo may already be done: no event tells when.
    assert.ok(
      await eventually(() => readProcStat(b)?.sid === b),
      'the setsid grandchild has its own session',
    );
    t.after(async () => {
      if (alive([b]).length > 0) process.kill(b, 'SIGKILL');
      await handle.kill(); // nothing left if an assertion failed before the stop
    });
    assert.equal(handle.cgroup, undefined);
    assert.deepEqual(
      handle
        .processes()
        .map((p) => p.pid)
        .sort(),
      [handle.pid, a].sort(),
      'the process group holds the main process and the same-group grandchild only',
    );

    const result = await handle.stop({ timeout: 5000 });
    assert.deepEqual(alive([handle.pid, a]), [], 'the process group is gone when stop() resolves');
    assert.equal(result.killed, false);
    assert.deepEqual(alive([b]), [b], 'the setsid grandchild is out of reach without a cgroup');
  });

  it('SIGKILLs a tree that ignores SIGTERM at the deadline, and resolves only when all are gone', async () => {
    const script = 'trap "" TERM; sleep 1000 & echo "ready $!"; wait';
    const [events, handle] = await launcher.launch(Command.shell(script), { name: LABEL });
    const [ready] = linesOf(await readUntil(events.subscribe({ replay: 'all' }), (e) => e.type === 'stdout'));
    const sleeper = Number(ready?.split(' ')[1]);
    // `$!` is known once forked, before exec: wait until it is sleep itself (no event for that).
    assert.ok(await eventually(() => readProcStat(sleeper)?.comm === 'sleep'), 'the sleeper runs');
    assert.ok(sleeper > 0, String(ready));

    const started = Date.now();
    const result = await handle.stop({ timeout: 300 });
    assert.ok(Date.now() - started >= 290, 'it waited for the deadline');
    assert.equal(result.killed, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.deepEqual(alive([handle.pid, sleeper]), [], 'every process is gone when stop() resolves');
  });

  it('calls onWaiting with the processes the stop still waits on', async () => {
    const script = 'trap "" TERM; sleep 1000 & echo "ready $!"; wait';
    const [events, handle] = await launcher.launch(Command.shell(script), { name: LABEL });
    const [ready] = linesOf(await readUntil(events.subscribe({ replay: 'all' }), (e) => e.type === 'stdout'));
    const sleeper = Number(ready?.split(' ')[1]);
    // `$!` is known once forked, before exec: wait until it is sleep itself (no event for that).
    assert.ok(await eventually(() => readProcStat(sleeper)?.comm === 'sleep'), 'the sleeper runs');
    const reports: (readonly ProcStat[])[] = [];
    await handle.stop({ timeout: 500, progressInterval: 50, onWaiting: (w) => reports.push(w) });
    assert.ok(reports.length >= 2, `${reports.length} reports`);
    for (const r of reports) {
      assert.deepEqual(
        r.map((p) => [p.pid, p.comm]).sort(),
        [
          [handle.pid, 'sh'],
          [sleeper, 'sleep'],
        ].sort(),
      );
    }
  });

  it('kill() SIGKILLs at once', async () => {
    const [, handle] = await launcher.launch(Command.of('sleep', '1000'), { name: LABEL });
    const result = await handle.kill();
    assert.deepEqual({ ...result }, { code: null, signal: 'SIGKILL', killed: true });
    assert.equal(handle.running, false);
    assert.deepEqual(handle.exitStatus, { code: null, signal: 'SIGKILL' });
  });

  it('stop() of a process that already ended resolves at once with its status', async () => {
    const [, handle] = await launcher.launch(Command.shell('exit 4'), { name: LABEL });
    assert.deepEqual(await handle.wait(), { code: 4, signal: null });
    assert.deepEqual({ ...(await handle.stop()) }, { code: 4, signal: null, killed: false });
  });
});

describe('LocalLauncher.launch: output', { timeout: 30_000 }, () => {
  it('delivers 200 000 lines complete and in order to two readers while a third stalls', async () => {
    const n = 200_000;
    const [events, handle] = await launcher.launch(Command.of('seq', '1', String(n)), { name: LABEL });
    const stalled = events.subscribe({ bufferSize: 100 });
    const read = async (): Promise<{ lines: string[]; other: string[] }> => {
      const lines: string[] = [];
      const other: string[] = [];
      for await (const e of events.subscribe()) {
        if (e.type === 'stdout') lines.push(e.line);
        else other.push(e.type);
      }
      return { lines, other };
    };
    const [r1, r2, status] = await Promise.all([read(), read(), handle.wait()]);
    assert.deepEqual(status, { code: 0, signal: null }, 'the process ran to its end: never blocked');
    const expected = Array.from({ length: n }, (_, i) => String(i + 1));
    for (const r of [r1, r2]) {
      assert.equal(r.lines.length, n);
      assert.ok(
        r.lines.every((l, i) => l === expected[i]),
        'in order',
      );
      assert.deepEqual(r.other, ['exit'], 'no lagged event for readers that keep up');
    }

    assert.equal(stalled.pending, 100, 'the stalled reader holds only its bound');
    const late: string[] = [];
    let first: unknown;
    for await (const e of stalled) {
      first ??= e;
      if (e.type === 'stdout') late.push(e.line);
    }
    // It was offered n lines and the exit; it keeps the last 100 of those.
    assert.deepEqual({ ...(first as object), time: 0 }, { type: 'lagged', time: 0, dropped: n + 1 - 100 });
    assert.deepEqual(late, expected.slice(n - 99));
  });

  it('round-trips stdin through cat (write, end)', async () => {
    const [events, handle] = await launcher.launch(Command.of('cat').withStdin('pipe'), { name: LABEL });
    const reader = events.subscribe();
    await handle.write('hello\n');
    await handle.write(Buffer.from('wörld\nno newline'));
    await handle.end();
    const got = await readUntil(reader, (e) => e.type === 'exit');
    assert.deepEqual(linesOf(got), ['hello', 'wörld', 'no newline']);
    assert.deepEqual(await handle.wait(), { code: 0, signal: null });
  });

  it('splits lines across chunk boundaries, CRLF, multi-byte characters and a final line', async () => {
    const [events, handle] = await launcher.launch(Command.of('cat').withStdin('pipe'), { name: LABEL });
    const reader = events.subscribe();
    const euro = Buffer.from('€');
    await handle.write('ab');
    await handle.write(Buffer.concat([Buffer.from('c'), euro.subarray(0, 1)]));
    await handle.write(Buffer.concat([euro.subarray(1), Buffer.from('\r')]));
    await handle.write('\nsecond\r\n\nlast');
    await handle.end();
    const got = await readUntil(reader, (e) => e.type === 'exit');
    assert.deepEqual(linesOf(got), ['abc€', 'second', '', 'last']);
  });

  it('cuts a very long line into partial pieces, never inside a UTF-8 character', async () => {
    const [events, handle] = await launcher.launch(Command.of('cat').withStdin('pipe'), {
      name: LABEL,
      maxLineLength: 8,
    });
    const reader = events.subscribe();
    await handle.write('abcdefg€€xyz\nshort\n');
    await handle.end();
    const got = (await readUntil(reader, (e) => e.type === 'exit')).flatMap((e) =>
      e.type === 'stdout' ? [[e.line, e.partial === true] as const] : [],
    );
    assert.deepEqual(got, [
      ['abcdefg', true],
      ['€€xy', true],
      ['z', false],
      ['short', false],
    ]);
    for (const [line] of got) assert.ok(Buffer.byteLength(line) <= 8);
  });

  it('keeps stdout and stderr apart', async () => {
    const r = await launcher.run(Command.shell('echo out1; echo err1 >&2; echo out2'), { name: LABEL });
    assert.deepEqual(r.stdout, ['out1', 'out2']);
    assert.deepEqual(r.stderr, ['err1']);
  });

  it('honours env, inheritEnv: false and cwd', async (t) => {
    const dir = scratch(t);
    const cmd = Command.shell('echo "$GREETING"; echo "$HOME" | grep . || echo unset; pwd')
      .withEnv({ GREETING: 'héllo wörld' })
      .withCwd(dir);
    const r = await launcher.run(cmd, { name: LABEL });
    assert.deepEqual(r.stdout, ['héllo wörld', process.env.HOME ?? 'unset', realpathSync(dir)]);
    const bare = await launcher.run(cmd.with({ inheritEnv: false }), { name: LABEL });
    assert.deepEqual(bare.stdout, ['héllo wörld', 'unset', realpathSync(dir)]);
  });

  it('reports the exit code and the signal', async () => {
    const [events, handle] = await launcher.launch(Command.shell('exit 3'), { name: LABEL });
    const got = await readUntil(events.subscribe({ replay: 'all' }), (e) => e.type === 'exit');
    assert.deepEqual(
      got.map((e) => e.type),
      ['started', 'exit'],
    );
    assert.deepEqual(await handle.wait(), { code: 3, signal: null });
    const killed = await launcher.run(Command.shell('kill -USR1 $$'), { name: LABEL });
    assert.deepEqual([killed.code, killed.signal, killed.timedOut], [null, 'SIGUSR1', false]);
  });

  it('gives the exit event after every line of the main process', async () => {
    const [events] = await launcher.launch(Command.shell('seq 1 5000; exit 0'), { name: LABEL });
    const got = await readUntil(events.subscribe({ replay: 'all' }), (e) => e.type === 'exit');
    assert.equal(linesOf(got).length, 5000);
  });
});

describe('LocalLauncher.run', { timeout: 20_000 }, () => {
  it('stops a runaway at the timeout (timedOut: true)', async () => {
    const started = Date.now();
    const r = await launcher.run(Command.shell('echo started; sleep 1000'), { name: LABEL, timeout: 200 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGTERM');
    assert.deepEqual(r.stdout, ['started']);
    assert.ok(Date.now() - started < 5000);
  });

  it('does not wait for a grandchild that keeps the pipes open, and stops it', async () => {
    const r = await launcher.run(Command.shell('sleep 1000 & echo "$!"'), { name: LABEL, timeout: 8000 });
    assert.equal(r.timedOut, false);
    assert.deepEqual([r.code, r.signal], [0, null]);
    assert.deepEqual(alive([Number(r.stdout[0])]), [], 'nothing it started outlives a run');
  });

  it('ends when its signal aborts', async () => {
    const abort = new AbortController();
    const running = launcher.run(Command.of('sleep', '1000'), { name: LABEL, signal: abort.signal });
    abort.abort();
    const r = await running;
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.timedOut, false);
  });
});

describe('LocalLauncher: no cgroup left behind', () => {
  it('every cgroup made by the tests above has been removed', async () => {
    // Orphans' zombies keep a cgroup busy until PID 1 reaps them (lazily, ~2 s): no event for that.
    await eventually(() => cgroupsNamed(LABEL).length === 0, 6000);
    assert.deepEqual(cgroupsNamed(LABEL), []);
  });
});
