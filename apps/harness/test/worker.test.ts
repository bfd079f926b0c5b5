import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  allGone,
  alive,
  bin,
  type Env,
  freePort,
  harness,
  setup,
  spawnUntil,
  floodStack,
  followFlood,
} from './e2e-helpers.js';

interface Running {
  readonly child: ChildProcess;
  /** Every stderr line so far. */
  readonly lines: string[];
  /** Resolves with the first stderr line (from now on, or seen already) matching `pattern`. */
  until(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
}

/** Starts the built CLI in the background, reading its stderr log lines; killed after the test. */
function start(t: TestContext, e: Env, ...args: string[]): Running {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: e.dir,
    env: e.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  let buf = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        const m = w.pattern.exec(line);
        if (m !== null) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    until: (pattern) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`harness ${args[0]}: no line matching ${pattern} in 30 s:\n${lines.join('\n')}`),
            ),
          30_000,
        );
        void exited.then((code) =>
          reject(new Error(`harness ${args[0]} exited (${code}) before ${pattern}:\n${lines.join('\n')}`)),
        );
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      }),
  };
}

/** The parent pid of a process, from /proc. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

const STACK = [
  'name: remote',
  'services:',
  '  web:',
  '    process: { command: "echo web up; exec sleep 1000" }',
  '  jobs:',
  '    process: { command: "echo jobs up; exec sleep 1000" }',
  '    depends_on: { web: started }',
  '',
].join('\n');

type Row = { service: string; state: string; pid: number | null };

/**
 * Stops a worker with SIGINT and waits until it has shut down cleanly (its "stopped" line: the
 * link closed, the services released). The process must then end by itself (checked by the
 * test below); here it is killed if it lingers, so one failure does not cascade.
 */
async function stopWorker(w: Running): Promise<void> {
  const stopped = w.until(/harness worker: stopped$/);
  w.child.kill('SIGINT');
  await stopped;
  if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await w.exited;
}

/** Starts `harness controller --no-worker` and resolves with it, its URL and its fingerprint. */
async function startController(
  t: TestContext,
  e: Env,
): Promise<{ controller: Running; url: string; fingerprint: string }> {
  const controller = start(t, e, 'controller', '--no-worker', '--port', String(await freePort()));
  const [, url, fingerprint] = await controller.until(
    /ready .*client API (wss:\/\/\S+) \(certificate sha256 ([0-9a-f]{64})\).*no local worker/,
  );
  assert.ok(url !== undefined && fingerprint !== undefined);
  return { controller, url, fingerprint };
}

describe('harness controller --no-worker with a standalone harness worker', { timeout: 180_000 }, () => {
  it('up -d, ps, logs and down run on the worker; a stopped worker says WORKER_GONE; a new one adopts', async (t) => {
    const e = await setup(t);
    writeFileSync(join(e.dir, 'remote.yaml'), STACK);
    const workerHome = mkdtempSync(join(tmpdir(), 'hw-'));
    t.after(() => rmSync(workerHome, { recursive: true, force: true }));

    const { controller, url, fingerprint } = await startController(t, e);

    // Nothing runs services yet.
    const early = await harness(e, 'ps', '--json', '-f', 'remote.yaml');
    assert.equal(early.code, 1);
    assert.match(early.stderr, /no worker is registered with this controller.*\(NO_WORKER\)/);

    const workerArgs = [
      'worker',
      '--controller',
      url,
      '--token-file',
      join(e.home, 'token'),
      '--cert-fingerprint',
      fingerprint,
      '--home',
      workerHome,
      '--host',
      'edge-e2e',
    ];
    const worker = start(t, e, ...workerArgs);
    await worker.until(/registered host edge-e2e with wss:\/\/.* \(controller \d/);

    const up = await harness(e, 'up', '-d', '-f', 'remote.yaml');
    assert.equal(up.code, 0, up.stderr);
    const ps = await harness(e, 'ps', '--json', '-f', 'remote.yaml');
    assert.equal(ps.code, 0, ps.stderr);
    const rows = JSON.parse(ps.stdout) as Row[];
    assert.deepEqual(rows.map((r) => [r.service, r.state]).sort(), [
      ['jobs', 'running'],
      ['web', 'running'],
    ]);
    const pids = rows.map((r) => r.pid ?? assert.fail(`${r.service} has no pid`));
    for (const pid of pids) {
      assert.ok(alive(pid));
      // The worker's spawn server forked it: a child of the worker process.
      const server = parentOf(pid);
      assert.equal(readFileSync(`/proc/${server}/comm`, 'utf8').trim(), 'harness-spawner');
      assert.equal(parentOf(server), worker.child.pid, 'the worker process launched it');
    }

    const logs = await harness(e, 'logs', '-n', '5', '-f', 'remote.yaml');
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /web up/);
    assert.match(logs.stdout, /jobs up/);

    // The worker stops (its services do not): calls for its host fail, naming it.
    await stopWorker(worker);
    for (const pid of pids) assert.ok(alive(pid), 'services outlive their worker');
    const gone = await harness(e, 'ps', '--json', '-f', 'remote.yaml');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /the worker of host edge-e2e went away .*\(WORKER_GONE\)/);

    // A new worker on the same home registers the same host and adopts them: same pids.
    const again = start(t, e, ...workerArgs);
    await again.until(/registered host edge-e2e/);
    const after = JSON.parse((await harness(e, 'ps', '--json', '-f', 'remote.yaml')).stdout) as Row[];
    assert.deepEqual(after.map((r) => r.pid).sort(), [...pids].sort());

    const down = await harness(e, 'down', '-f', 'remote.yaml');
    assert.equal(down.code, 0, down.stderr);
    assert.ok(await allGone(pids), 'every process is gone after down');

    await stopWorker(again);
    controller.child.kill('SIGINT');
    assert.equal(await controller.exited, 0);
  });

  it('up in the foreground shows every line of a fast writer on the worker, in order, though its stdout stalls', async (t) => {
    const e = await setup(t);
    const workerHome = mkdtempSync(join(tmpdir(), 'hw-'));
    t.after(() => rmSync(workerHome, { recursive: true, force: true }));
    const n = 200_000;
    const stack = `remote-flood-${process.pid}`;
    const go = join(e.dir, 'go');
    writeFileSync(join(e.dir, 'flood.yaml'), floodStack(stack, n, go));
    const { controller, url, fingerprint } = await startController(t, e);
    const worker = start(
      t,
      e,
      ...['worker', '--controller', url, '--token-file', join(e.home, 'token')],
      ...['--cert-fingerprint', fingerprint, '--home', workerHome, '--host', 'edge-flood'],
    );
    await worker.until(/registered host edge-flood/);

    // Nothing may be dropped on the way, neither by the worker nor by the controller.
    const run = await spawnUntil(e, /^gen {2}\| waiting$/, 'up', '-f', 'flood.yaml');
    const { lines } = run;
    await followFlood(t, run, go, join(workerHome, 'state', 'logs', stack, 'gen.0.log'), n);
    let at = lines.lastIndexOf('gen  | waiting') + 1;
    for (let i = 1; i <= n; i++, at++) {
      if (lines[at] !== `gen  | ${i}`) assert.fail(`line ${i} is ${lines[at]}`);
    }

    await stopWorker(worker);
    controller.child.kill('SIGINT');
    assert.equal(await controller.exited, 0);
  });

  it('a worker that released its services exits after SIGINT', async (t) => {
    const e = await setup(t);
    writeFileSync(join(e.dir, 'remote.yaml'), STACK);
    const workerHome = mkdtempSync(join(tmpdir(), 'hw-'));
    t.after(() => rmSync(workerHome, { recursive: true, force: true }));
    const { url, fingerprint } = await startController(t, e);
    const args = ['worker', '--controller', url, '--token-file', join(e.home, 'token')];
    const pin = ['--cert-fingerprint', fingerprint, '--home', workerHome, '--host', 'edge-x'];
    const worker = start(t, e, ...args, ...pin);
    await worker.until(/registered host edge-x/);
    assert.equal((await harness(e, 'up', '-d', '-f', 'remote.yaml')).code, 0);
    let code: number | null;
    try {
      worker.child.kill('SIGINT');
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), 10_000);
      code = await worker.exited;
      clearTimeout(timer);
    } finally {
      // A new worker adopts the services and brings them down (before setup's folder goes).
      const w = start(t, e, ...args, ...pin);
      await w.until(/registered host edge-x/);
      await harness(e, 'down', '-f', 'remote.yaml');
      await stopWorker(w);
    }
    assert.equal(code, 0, 'exited by itself within 10 s');
  });

  it('harness worker refuses a missing token file, a missing pin and a plain ws:// address', async (t) => {
    const e = await setup(t);
    const home = mkdtempSync(join(tmpdir(), 'hw-'));
    t.after(() => rmSync(home, { recursive: true, force: true }));
    const noToken = await harness(e, 'worker', '--controller', 'wss://127.0.0.1:1', '--home', home);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /cannot read the controller's token from .*token: ENOENT/);
    writeFileSync(join(home, 'token'), `${'a'.repeat(64)}\n`);
    const noPin = await harness(e, 'worker', '--controller', 'wss://127.0.0.1:1', '--home', home);
    assert.equal(noPin.code, 2);
    assert.match(noPin.stderr, /--cert-fingerprint is required/);
    const plain = await harness(e, 'worker', '--controller', 'ws://127.0.0.1:1', '--home', home);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /must be the controller's wss:\/\/ address/);
    const unreachable = await harness(
      e,
      'worker',
      '--controller',
      `wss://127.0.0.1:${await freePort()}`,
      '--home',
      home,
      '--cert-fingerprint',
      'ab'.repeat(32),
    );
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stderr,
      /cannot start: cannot register host .* ECONNREFUSED.*\(DAEMON_UNAVAILABLE\)/,
    );
  });
});
