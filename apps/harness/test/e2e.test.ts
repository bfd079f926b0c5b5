import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allGone, alive, bin, harness, ps, setup, spawnUntil } from './e2e-helpers.js';

describe('harness CLI end to end on the quickstart example', { timeout: 180_000 }, () => {
  it('up -d, ps, logs, stop/start/restart, a second up is a no-op, down leaves no process', async (t) => {
    const e = await setup(t);
    const up = await harness(e, 'up', '-d');
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /✔ backend\s+healthy/);
    assert.match(up.stderr, /✔ migrate\s+exited/);
    assert.match(up.stderr, /✔ api\s+healthy/);

    const rows = await ps(e);
    const by = new Map(rows.map((r) => [r.service, r]));
    assert.deepEqual([...by.keys()].sort(), ['api', 'backend', 'migrate', 'worker']);
    assert.equal(by.get('backend')?.state, 'healthy');
    assert.equal(by.get('backend')?.health, 'healthy');
    assert.equal(by.get('migrate')?.state, 'exited');
    assert.ok(typeof by.get('api')?.pid === 'number' && alive(by.get('api')?.pid as number));

    // the API really answers, with what the migration wrote
    const body = (await (await fetch(`http://127.0.0.1:${e.env.API_PORT}/`)).json()) as { greeting: string };
    assert.equal(body.greeting, 'hello from the quickstart');

    const logs = await harness(e, 'logs', '-n', '5', 'migrate');
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /migration done/);

    const again = await harness(e, 'up', '-d');
    assert.equal(again.code, 0, again.stderr);
    const rows2 = await ps(e);
    assert.equal(
      rows2.find((r) => r.service === 'backend')?.pid,
      by.get('backend')?.pid,
      'second up changed nothing',
    );
    assert.equal(rows2.find((r) => r.service === 'api')?.pid, by.get('api')?.pid);

    const apiPid = by.get('api')?.pid as number;
    const stop = await harness(e, 'stop', 'api');
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await ps(e)).find((r) => r.service === 'api')?.state, 'stopped');
    assert.ok(await allGone([apiPid]));

    const start = await harness(e, 'start', 'api');
    assert.equal(start.code, 0, start.stderr);
    const api = (await ps(e)).find((r) => r.service === 'api');
    assert.equal(api?.state, 'healthy');
    assert.notEqual(api?.pid, apiPid);

    const restart = await harness(e, 'restart', 'backend');
    assert.equal(restart.code, 0, restart.stderr);
    assert.notEqual((await ps(e)).find((r) => r.service === 'backend')?.pid, by.get('backend')?.pid);

    const live = (await ps(e)).flatMap((r) => (r.pid === null ? [] : [r.pid]));
    const down = await harness(e, 'down');
    assert.equal(down.code, 0, down.stderr);
    assert.ok(await allGone(live), 'every process is gone after down');
  });

  it('re-adopts the same pids after the daemon is SIGKILLed', async (t) => {
    const e = await setup(t);
    assert.equal((await harness(e, 'up', '-d', 'api')).code, 0);
    const before = await ps(e);
    const pids = new Map(before.map((r) => [r.service, r.pid]));
    const daemonPid = Number(readFileSync(`${e.home}/daemon.pid`, 'utf8'));
    process.kill(daemonPid, 'SIGKILL');
    assert.ok(await allGone([daemonPid]));
    const after = await ps(e); // starts a new daemon, which adopts
    for (const r of after)
      if (r.state === 'healthy' || r.state === 'running') assert.equal(r.pid, pids.get(r.service));
    assert.equal(after.find((r) => r.service === 'api')?.state, 'healthy');
    const newDaemon = Number(readFileSync(`${e.home}/daemon.pid`, 'utf8'));
    assert.notEqual(newDaemon, daemonPid);
  });

  it('serves two logs --follow clients at once', async (t) => {
    const e = await setup(t);
    assert.equal((await harness(e, 'up', '-d')).code, 0);
    const a = await spawnUntil(e, /worker: job \d+ done/, 'logs', '--follow', '-n', '0', 'worker');
    const b = await spawnUntil(e, /worker: job \d+ done/, 'logs', '--follow', '-n', '0', 'worker');
    a.child.kill('SIGINT');
    b.child.kill('SIGINT');
    assert.equal((await a.done).code, 0);
    assert.equal((await b.done).code, 0);
  });

  it('logs --follow started before the stack is up waits for it, then shows its lines from the first', async (t) => {
    const e = await setup(t);
    const child = spawn(process.execPath, [bin, 'logs', '--follow', 'migrate'], { cwd: e.dir, env: e.env });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    const seen = (re: RegExp, what: () => string, stream: NodeJS.ReadableStream) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (re.test(what())) resolve();
        };
        stream.on('data', check);
        child.once('exit', () => reject(new Error(`logs exited: ${out}\n${err}`)));
        const bound = setTimeout(() => reject(new Error(`no ${re} within 30 s: ${out}\n${err}`)), 30_000);
        bound.unref();
        const settle = (): void => clearTimeout(bound);
        stream.on('data', () => re.test(what()) && settle());
        check();
        if (re.test(what())) settle();
      });
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    await seen(/waiting for stack "quickstart" to start/, () => err, child.stderr);
    const up = await harness(e, 'up', '-d');
    assert.equal(up.code, 0, up.stderr);
    await seen(/migration done/, () => out, child.stdout);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, err);
  });

  it('a failing service makes up -d exit 1 naming it and why; its dependent is not started', async (t) => {
    const e = await setup(t);
    writeFileSync(
      join(e.dir, 'fail.yaml'),
      [
        'name: failing',
        'services:',
        '  db:',
        '    process: { command: "echo cannot open the data folder >&2; exit 3" }',
        '    restart: { policy: never }',
        '  app:',
        '    process: { command: "sleep 1000" }',
        '    depends_on: { db: completed }',
        '',
      ].join('\n'),
    );
    const up = await harness(e, 'up', '-d', '-f', 'fail.yaml');
    assert.equal(up.code, 1);
    assert.match(up.stderr, /db.*exit code 3/);
    const r = await harness(e, 'ps', '--json', '-f', 'fail.yaml');
    const app = (JSON.parse(r.stdout) as { service: string; state: string; reason: string | null }[]).find(
      (x) => x.service === 'app',
    );
    assert.equal(app?.state, 'stopped');
    assert.match(app?.reason ?? '', /dependency db/);
    assert.equal((await harness(e, 'down', '-f', 'fail.yaml')).code, 0);
  });

  it('harness server runs the HTTP side alone, reading from the daemon', async (t) => {
    const e = await setup(t);
    assert.equal((await harness(e, 'up', '-d', 'backend')).code, 0);
    const srv = await spawnUntil(e, /serving http:\/\//, 'server', '--http-port', '0');
    const url = /serving (http:\/\/\S+)/.exec(srv.lines.join('\n'))?.[1] as string;
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; stacks: number };
    assert.equal(health.status, 'ok');
    assert.equal(health.stacks, 1);
    const rows = (await (await fetch(`${url}/api/stacks/quickstart`)).json()) as {
      service: string;
      state: string;
    }[];
    assert.equal(rows.find((r) => r.service === 'backend')?.state, 'healthy');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /harness_service_up\{stack="quickstart",service="backend"\} 1/);
    srv.child.kill('SIGINT');
    assert.equal((await srv.done).code, 0);
  });

  it('solo exits non-zero and runs nothing when its port is taken', async (t) => {
    const e = await setup(t);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    t.after(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const r = await harness(e, 'solo', '--port', String(port));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot start/);
    const status = await harness(e, 'daemon', 'status');
    assert.equal(status.code, 3, 'nothing is left running');
  });
});
