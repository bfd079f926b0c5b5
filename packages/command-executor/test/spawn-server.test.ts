import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { Command, CommandError, isRunning, LocalLauncher, readProcStat } from '../src/index.js';
import { SpawnServer, SpawnStepError } from '../src/spawn-server.js';
import { alive, aliveAfter, cgroupsNamed, scratch, uniqueName } from './fixtures-proc/helpers.js';

const LABEL = uniqueName('spawnsrv');
const BAD = uniqueName('spawnbad');
const launcher = new LocalLauncher();

function parentOf(pid: number): { pid: number; comm: string } {
  const ppid = readProcStat(pid)?.ppid ?? 0;
  return { pid: ppid, comm: readProcStat(ppid)?.comm ?? '' };
}

describe('spawn server: services that log to files are forked by a small perl process', {
  timeout: 30_000,
}, () => {
  it('runs them as children of the server, and pipe-mode commands as children of this process', async (t) => {
    const dir = scratch(t);
    const [, handle] = await launcher.launch(Command.of('sleep', '1000'), {
      name: LABEL,
      logFiles: { stdout: join(dir, 'out.log'), follow: false },
    });
    t.after(() => handle.kill());
    const parent = parentOf(handle.pid);
    assert.notEqual(parent.pid, process.pid);
    assert.equal(parent.comm, 'harness-spawner');
    assert.equal(readProcStat(handle.pid)?.sid, handle.pid, 'in its own session');
    assert.equal(readProcStat(handle.pid)?.comm, 'sleep', 'the program itself, no shell in between');

    const [, piped] = await launcher.launch(Command.of('sleep', '1000'), { name: LABEL });
    t.after(() => piped.kill());
    assert.equal(parentOf(piped.pid).pid, process.pid);

    const [, direct] = await new LocalLauncher({ spawnServer: false }).launch(Command.of('sleep', '1000'), {
      name: LABEL,
      logFiles: { stdout: join(dir, 'direct.log'), follow: false },
    });
    t.after(() => direct.kill());
    assert.equal(parentOf(direct.pid).pid, process.pid, 'spawnServer: false forks here');

    process.env.HARNESS_SPAWN_SERVER = '0';
    const byEnv = new LocalLauncher();
    delete process.env.HARNESS_SPAWN_SERVER;
    const [, envDirect] = await byEnv.launch(Command.of('sleep', '1000'), {
      name: LABEL,
      logFiles: { stdout: join(dir, 'env.log'), follow: false },
    });
    t.after(() => envDirect.kill());
    assert.equal(parentOf(envDirect.pid).pid, process.pid, 'HARNESS_SPAWN_SERVER=0 forks here');
  });

  it('reports exit codes and signals, and the followed lines come before the exit', async (t) => {
    const dir = scratch(t);
    const logFiles = { stdout: join(dir, 'out.log'), stderr: join(dir, 'err.log') };
    const [events, handle] = await launcher.launch(Command.shell('echo one; echo two >&2; exit 7'), {
      name: LABEL,
      logFiles,
    });
    const seen: string[] = [];
    for await (const e of events.subscribe({ replay: 'all' })) {
      if (e.type === 'stdout' || e.type === 'stderr') seen.push(`${e.type}:${e.line}`);
      if (e.type === 'exit') seen.push(`exit:${e.code}:${e.signal}`);
    }
    assert.deepEqual(seen.slice(-1), ['exit:7:null']);
    assert.deepEqual(seen.slice(0, -1).sort(), ['stderr:two', 'stdout:one']);
    assert.deepEqual(await handle.wait(), { code: 7, signal: null });

    const [, sleeper] = await launcher.launch(Command.of('sleep', '1000'), {
      name: LABEL,
      logFiles: { stdout: join(dir, 's.log'), follow: false },
    });
    process.kill(sleeper.pid, 'SIGKILL');
    assert.deepEqual(await sleeper.wait(), { code: null, signal: 'SIGKILL' });
  });

  it('passes arguments and environment byte for byte, and runs in the cwd', async (t) => {
    const dir = scratch(t);
    const args = ['a b', 'line\nbreak', 'k=v=w', '', 'ünïcødé ✓', '%s %% $HOME'];
    const env = { V: 'x=y\nz', EMPTY: '', PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const out = join(dir, 'out.log');
    const command = new Command({
      program: 'sh',
      args: [
        '-c',
        'for a in "$@"; do printf "[%s]" "$a"; done; printf "|%s|%s|%s|" "$V" "$EMPTY" "$(pwd)"',
        'sh',
        ...args,
      ],
      env,
      inheritEnv: false,
      cwd: dir,
    });
    const [, handle] = await launcher.launch(command, {
      name: LABEL,
      logFiles: { stdout: out, follow: false },
    });
    assert.deepEqual(await handle.wait(), { code: 0, signal: null });
    assert.equal(readFileSync(out, 'utf8'), `${args.map((a) => `[${a}]`).join('')}|x=y\nz||${dir}|`);
  });

  it('moves the child into its cgroup before the program runs', async (t) => {
    const dir = scratch(t);
    const out = join(dir, 'out.log');
    const [, handle] = await launcher.launch(Command.of('cat', '/proc/self/cgroup'), {
      name: LABEL,
      logFiles: { stdout: out, follow: false },
    });
    await handle.wait();
    const name = handle.cgroup?.split('/').pop() ?? '<no cgroup>';
    assert.match(readFileSync(out, 'utf8'), new RegExp(`^0::.*/${name}$`, 'm'));
  });

  it('refuses a program whose interpreter is missing; runs a non-program through /bin/sh, as Node does', async (t) => {
    const dir = scratch(t);
    const script = join(dir, 'bad-interpreter');
    writeFileSync(script, '#!/no/such/interpreter\n');
    chmodSync(script, 0o755);
    await assert.rejects(
      launcher.launch(Command.of(script), { name: BAD, logFiles: { stdout: join(dir, 'o.log') } }),
      (e: unknown) => e instanceof CommandError && e.code === 'ENOENT_PROGRAM',
    );
    // A file that is no program at all is run by /bin/sh, as execvp does, and as Node's spawn does.
    const garbage = join(dir, 'garbage');
    writeFileSync(garbage, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    chmodSync(garbage, 0o755);
    const [, handle] = await launcher.launch(Command.of(garbage), {
      name: BAD,
      logFiles: { stdout: join(dir, 'g.log'), follow: false },
    });
    assert.deepEqual(await handle.wait(), { code: 127, signal: null });
    assert.match(readFileSync(join(dir, 'g.log'), 'utf8'), /not found/);
    handle.release();
    assert.deepEqual(cgroupsNamed(BAD), []);
  });

  it('starts 100 at once: every one has its own pid and its own exit code', async (t) => {
    const dir = scratch(t);
    const launched = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        launcher.launch(Command.shell(`exit ${i}`), {
          name: LABEL,
          logFiles: { stdout: join(dir, `${i}.log`), follow: false },
        }),
      ),
    );
    assert.equal(new Set(launched.map(([, h]) => h.pid)).size, 100);
    const codes = await Promise.all(launched.map(([, h]) => h.wait()));
    assert.deepEqual(
      codes.map((c) => c.code),
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it('a server that is killed: its children are still watched, and the next launch gets a new one', async (t) => {
    const dir = scratch(t);
    const [, before] = await launcher.launch(Command.of('sleep', '1000'), {
      name: LABEL,
      logFiles: { stdout: join(dir, 'a.log'), follow: false },
    });
    const server = parentOf(before.pid).pid;
    process.kill(server, 'SIGKILL');
    assert.deepEqual(await aliveAfter([server]), [], 'the server is gone');
    process.kill(before.pid, 'SIGKILL');
    assert.deepEqual(
      await before.wait(),
      { code: null, signal: null },
      'the end is seen, its status unknown',
    );

    const [, after] = await launcher.launch(Command.of('sleep', '1000'), {
      name: LABEL,
      logFiles: { stdout: join(dir, 'b.log'), follow: false },
    });
    t.after(() => after.kill());
    const next = parentOf(after.pid);
    assert.notEqual(next.pid, server);
    assert.equal(next.comm, 'harness-spawner');
  });

  it('ends when the process that started it dies; the services run on', async (t) => {
    const dir = scratch(t);
    const fixture = join(import.meta.dirname, 'fixtures-proc', 'launch-logged.ts');
    const launcherProc = spawn(process.execPath, ['--import', 'tsx', fixture, dir, LABEL], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [first] = (await once(createInterface({ input: launcherProc.stdout }), 'line')) as [string];
    const svc = JSON.parse(first) as { pid: number; startTime: number };
    t.after(() => {
      if (alive([svc.pid]).length > 0) process.kill(-svc.pid, 'SIGKILL');
    });
    const server = parentOf(svc.pid);
    assert.equal(server.comm, 'harness-spawner');
    assert.equal(readProcStat(server.pid)?.ppid, launcherProc.pid);
    launcherProc.kill('SIGKILL');
    await once(launcherProc, 'exit');
    assert.deepEqual(await aliveAfter([server.pid]), [], 'the server saw the end of its input and left');
    assert.equal(isRunning(svc.pid, svc.startTime), true, 'the service runs on');
  });
});

describe('SpawnServer: each step that fails is named', { timeout: 20_000 }, () => {
  const server = SpawnServer.start();

  it('is there (perl is in PATH)', () => {
    assert.ok(server, 'perl must be in PATH for these tests');
  });

  const base = { file: '/bin/true', argv: ['true'], cwd: '/', env: {}, stdout: '/dev/null' };
  for (const [step, change, code] of [
    ['cwd', { cwd: '/no/such/folder' }, 'ENOENT'],
    ['stdout', { stdout: '/no/such/folder/out.log' }, 'ENOENT'],
    ['stderr', { stderr: '/no/such/folder/err.log' }, 'ENOENT'],
    ['cgroup', { cgroup: '/no/such/cgroup' }, 'ENOENT'],
    ['exec', { file: '/no/such/program' }, 'ENOENT'],
  ] as const) {
    it(`${step}: ${code}`, async () => {
      await assert.rejects(
        server?.spawn({ ...base, ...change }) ?? Promise.reject(new Error('no server')),
        (e) => {
          assert.ok(e instanceof SpawnStepError, String(e));
          assert.equal(e.step, step);
          assert.equal(e.code, code);
          return true;
        },
      );
    });
  }

  it('ends when closed', async () => {
    const pid = server?.pid ?? 0;
    server?.close();
    assert.deepEqual(await aliveAfter([pid]), []);
    assert.equal(isRunning(pid), false);
  });
});
