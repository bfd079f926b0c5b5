// The standalone worker against a real controller with no worker of its own, over real WSS on
// 127.0.0.1: registration, calls and streams through the controller, a taken host name, a killed
// worker (WORKER_GONE), and reconnection after the controller restarts. Real `sleep` processes.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ControllerRun, init as initController } from '@harness/controller';
import { daemonPaths, HarnessClient, isLagged, type Lagged } from '@harness/protocol';
import type { ManagerEvent, StackSpec, StampedLogLine } from '@harness/service-orchestration';
import { type ControllerLinkEvent, init } from '../src/index.js';
import { alive, collectUntil, scratch, shService, stateDir, uniqueStack } from './helpers.js';

interface Controller {
  readonly run: ControllerRun;
  readonly url: string;
  readonly port: number;
  readonly fingerprint: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** A controller with no worker of its own, WSS on 127.0.0.1 (port 0 = any), stopped after the test. */
async function startController(t: TestContext, home: string, port = 0): Promise<Controller> {
  const run = await initController({
    home,
    version: 'c-1',
    listen: { host: '127.0.0.1', port },
    socket: false,
  });
  const abort = new AbortController();
  const done = run(abort.signal);
  const stop = async (): Promise<void> => {
    abort.abort();
    await done;
  };
  t.after(stop);
  const url = run.endpoint.url ?? assert.fail('no WSS url');
  return {
    run,
    url,
    port: Number(new URL(url.replace('wss:', 'https:')).port),
    fingerprint: run.endpoint.certFingerprint ?? assert.fail('no fingerprint'),
    token: readFileSync(daemonPaths(home).token, 'utf8').trim(),
    stop,
  };
}

async function clientOf(t: TestContext, c: Controller): Promise<HarnessClient> {
  const client = await HarnessClient.connect(
    { url: c.url, certFingerprint: c.fingerprint },
    { token: c.token },
  );
  t.after(() => client.close());
  return client;
}

/** Link events as they come, with a bounded wait for the next one that matches. */
class LinkEvents {
  readonly seen: ControllerLinkEvent[] = [];
  #waiters: { match: (e: ControllerLinkEvent) => boolean; resolve: (e: ControllerLinkEvent) => void }[] = [];
  readonly listener = (e: ControllerLinkEvent): void => {
    this.seen.push(e);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(e)) return true;
      w.resolve(e);
      return false;
    });
  };

  /** The first event (from now on) that matches; fails after `timeoutMs`. */
  next(match: (e: ControllerLinkEvent) => boolean, timeoutMs = 20_000): Promise<ControllerLinkEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no matching link event within ${timeoutMs} ms: ${JSON.stringify(this.seen)}`)),
        timeoutMs,
      );
      this.#waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}

/** Two long-running `sleep` services; `ticker` prints two lines first. */
function sleepers(name: string): StackSpec {
  return {
    name,
    services: [
      shService('web', 'echo web up; exec sleep 1000'),
      shService('ticker', 'echo tick 1; echo tick 2; exec sleep 1000', { dependsOn: { web: 'started' } }),
    ],
  };
}

const withoutLagged = <T>(items: T[]): Exclude<T, Lagged>[] =>
  items.filter((i): i is Exclude<T, Lagged> => !isLagged(i));

/** Kills the process groups of pids that a killed worker left running. */
function killGroups(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

describe('standalone worker with a controller that has no worker', { timeout: 120_000 }, () => {
  it('registers; a stack started through the controller runs on the worker; status, logs, events come back', async (t) => {
    const c = await startController(t, scratch(t));
    const links = new LinkEvents();
    const dir = stateDir();
    const worker = await init({
      stateDir: dir,
      host: 'edge-1',
      version: 'w-1',
      controller: { url: c.url, token: c.token, certFingerprint: c.fingerprint },
      onController: links.listener,
    });
    const abort = new AbortController();
    const running = worker(abort.signal);
    t.after(async () => {
      abort.abort();
      await running;
      rmSync(dir, { recursive: true, force: true });
    });
    assert.deepEqual(links.seen[0], {
      type: 'registered',
      url: c.url,
      host: 'edge-1',
      version: 'c-1',
      attempts: 0,
    });

    const client = await clientOf(t, c);
    const hosts = await client.request('hosts.list');
    assert.deepEqual(
      hosts.map((h) => [h.host, h.local, h.state, h.version, h.pid, h.address]),
      [['edge-1', false, 'connected', 'w-1', process.pid, '127.0.0.1']],
    );
    assert.deepEqual((await client.request('daemon.info')).hosts, ['edge-1']);

    const stack = uniqueStack('remote');
    const watching = new AbortController();
    const events = client.subscribe('events', { stack }, { signal: watching.signal });
    const outcome = await client.request('stack.up', { stack: sleepers(stack) });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));

    // It ran on the worker: the worker's own API has the rows, and the pids are real processes.
    const rows = await client.request('status', { stack });
    assert.deepEqual(rows.map((r) => [r.service, r.state]).sort(), [
      ['ticker', 'running'],
      ['web', 'running'],
    ]);
    const pids = rows.map((r) => r.pid ?? assert.fail('no pid'));
    for (const pid of pids) assert.ok(existsSync(`/proc/${pid}`), `pid ${pid} runs`);
    assert.deepEqual(
      worker.api
        .status(stack)
        .map((r) => r.pid)
        .sort(),
      [...pids].sort(),
    );
    assert.deepEqual(await client.request('stack.list', { host: 'edge-1' }), [stack]);

    const seen = withoutLagged(
      await collectUntil(events, (es) =>
        ['web', 'ticker'].every((s) =>
          withoutLagged(es).some(
            (e: ManagerEvent) => e.type === 'state' && e.service === s && e.state === 'running',
          ),
        ),
      ),
    );
    assert.ok(seen.every((e) => e.stack === stack));
    watching.abort();

    const lines = withoutLagged(
      await collectUntil(client.subscribe('logs', { stack, tail: 10 }), () => false),
    ) as StampedLogLine[];
    assert.deepEqual(lines.map((l) => `${l.service}: ${l.line}`).sort(), [
      'ticker: tick 1',
      'ticker: tick 2',
      'web: web up',
    ]);
    // With wait (what `harness logs` asks for) the same lines come through the controller.
    const waited = withoutLagged(
      await collectUntil(client.subscribe('logs', { stack, tail: 10, wait: true }), () => false),
    ) as StampedLogLine[];
    assert.deepEqual(
      waited.map((l) => `${l.service}: ${l.line}`).sort(),
      lines.map((l) => `${l.service}: ${l.line}`).sort(),
    );
    const restarted = await client.request('service.restart', { stack, services: ['web'] });
    assert.equal(restarted.ok, true);
    assert.notEqual(
      (await client.request('status', { stack })).find((r) => r.service === 'web')?.pid,
      rows.find((r) => r.service === 'web')?.pid,
    );

    await assert.rejects(client.request('status', { stack: 'nope' }), { code: 'UNKNOWN_STACK' });
    await assert.rejects(client.request('status', { host: 'edge-2' }), { code: 'UNKNOWN_HOST' });

    const live = (await client.request('status', { stack })).map((r) => r.pid as number);
    assert.deepEqual(await client.request('stack.down', { stack }), { ok: true });
    for (const pid of live) assert.ok(!alive(pid), `pid ${pid} is gone after down`);
    assert.deepEqual(worker.api.stacks(), []);
  });

  it('logs with wait through the controller: every line of a writer as fast as it can, in order, though the reader stalls', async (t) => {
    const c = await startController(t, scratch(t));
    const dir = stateDir();
    const controller = { url: c.url, token: c.token, certFingerprint: c.fingerprint };
    const worker = await init({ stateDir: dir, host: 'edge-1', controller });
    const abort = new AbortController();
    const running = worker(abort.signal);
    t.after(async () => {
      for (const s of worker.api.stacks()) await worker.api.down(s).catch(() => undefined);
      abort.abort();
      await running;
      rmSync(dir, { recursive: true, force: true });
    });
    const client = await clientOf(t, c);
    // `ready`, then `seq 1 n` as fast as it can once the fifo is opened.
    const n = 200_000;
    const fifo = join(scratch(t), 'go');
    execFileSync('mkfifo', [fifo]);
    const stack = uniqueStack('flood');
    const shell = `echo ready; cat ${fifo} >/dev/null; seq 1 ${n}; exec sleep 1000`;
    const up = await client.request('stack.up', {
      stack: { name: stack, services: [shService('gen', shell)] },
    });
    assert.equal(up.ok, true, JSON.stringify(up));
    const follow = { stack, tail: 1, follow: true, wait: true };
    const lines = client.subscribe('logs', follow)[Symbol.asyncIterator]();
    const next = async (): Promise<string> => {
      const r = await lines.next();
      assert.ok(r.done !== true, 'the subscription ended');
      assert.ok(!isLagged(r.value), `lines were dropped: ${JSON.stringify(r.value)}`);
      return (r.value as StampedLogLine).line;
    };
    assert.equal(await next(), 'ready');
    // The reader takes nothing while the whole of seq is written (its queue fills, its socket
    // is paused): the worker must not drop what it cannot send meanwhile.
    closeSync(openSync(fifo, 'w'));
    const written = new AbortController();
    const timer = setTimeout(() => written.abort(), 60_000);
    try {
      for await (const l of worker.api.logs(stack, ['gen'], {
        tail: 1,
        follow: true,
        signal: written.signal,
      }))
        if (l.line === String(n)) break;
    } finally {
      clearTimeout(timer);
    }
    assert.equal(written.signal.aborted, false, `line ${n} was not written within 60 s`);
    for (let expected = 1; expected <= n; expected++) {
      const line = await next();
      if (line !== String(expected)) assert.fail(`line ${expected} is ${line}`);
    }
    await lines.return?.();
  });

  it('refuses a second worker with a host name already registered', async (t) => {
    const c = await startController(t, scratch(t));
    const first = stateDir();
    const second = stateDir();
    const controller = { url: c.url, token: c.token, certFingerprint: c.fingerprint };
    const worker = await init({ stateDir: first, host: 'twin', controller });
    const abort = new AbortController();
    const running = worker(abort.signal);
    t.after(async () => {
      abort.abort();
      await running;
      rmSync(first, { recursive: true, force: true });
      rmSync(second, { recursive: true, force: true });
    });
    await assert.rejects(init({ stateDir: second, host: 'twin', controller }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'CONTROLLER_REFUSED');
      assert.match(
        (e as Error).message,
        /cannot register host twin with the controller at wss:\/\/127\.0\.0\.1:\d+: host "twin" is already registered .*\(HOST_TAKEN\)/,
      );
      return true;
    });
    // A wrong pin or token is refused too, before anything runs.
    await assert.rejects(
      init({
        stateDir: second,
        host: 'other',
        controller: { ...controller, certFingerprint: 'ab'.repeat(32) },
      }),
      { code: 'CONTROLLER_REFUSED', message: /CERTIFICATE_MISMATCH/ },
    );
    await assert.rejects(
      init({ stateDir: second, host: 'other', controller: { ...controller, token: 'f'.repeat(64) } }),
      { code: 'CONTROLLER_REFUSED', message: /UNAUTHENTICATED/ },
    );
    const client = await clientOf(t, c);
    assert.deepEqual(
      (await client.request('hosts.list')).map((h) => h.host),
      ['twin'],
    );
  });

  it('a killed worker: pending and next calls get WORKER_GONE, its services live on, the host can come back', async (t) => {
    const c = await startController(t, scratch(t));
    const dir = stateDir();
    const child = spawnWorker(t, c, dir, 'edge-9');
    await child.until((e) => e.type === 'ready');

    const client = await clientOf(t, c);
    const stack = uniqueStack('killed');
    // `after` waits for `sleeper` to complete, which it never does: stack.up stays pending.
    const spec: StackSpec = {
      name: stack,
      services: [
        shService('sleeper', 'echo sleeping; exec sleep 1000'),
        shService('after', 'exec sleep 1000', { dependsOn: { sleeper: 'completed' } }),
      ],
    };
    const watching = client.subscribe('events', { stack })[Symbol.asyncIterator]();
    const up = client.request('stack.up', { stack: spec });
    up.catch(() => {});
    for (;;) {
      const e = (await watching.next()).value as ManagerEvent | Lagged;
      if (!isLagged(e) && e.type === 'state' && e.service === 'sleeper' && e.state === 'running') break;
    }
    const rows = await client.request('status', { stack });
    const pid = rows.find((r) => r.service === 'sleeper')?.pid ?? assert.fail('no pid');
    t.after(() => killGroups([pid]));
    const follow = client.subscribe('logs', { stack, follow: true, tail: 1 })[Symbol.asyncIterator]();
    assert.equal(((await follow.next()).value as StampedLogLine).line, 'sleeping');

    child.process.kill('SIGKILL');
    await assert.rejects(up, { code: 'WORKER_GONE', message: /the worker of host edge-9 went away/ });
    await assert.rejects(follow.next(), { code: 'WORKER_GONE' });
    await assert.rejects(watching.next(), { code: 'WORKER_GONE' });
    await assert.rejects(client.request('status', { stack }), {
      code: 'WORKER_GONE',
      message: /the worker of host edge-9 went away at .* and has not registered again/,
    });
    assert.deepEqual(
      (await client.request('hosts.list')).map((h) => [h.host, h.state]),
      [['edge-9', 'gone']],
    );
    assert.ok(alive(pid), 'the service outlives its worker');

    // The host comes back (a new worker, here on a fresh state) under the same name: calls reach it.
    const fresh = stateDir();
    const worker = await init({
      stateDir: fresh,
      host: 'edge-9',
      controller: { url: c.url, token: c.token, certFingerprint: c.fingerprint },
    });
    const abort = new AbortController();
    const running = worker(abort.signal);
    t.after(async () => {
      abort.abort();
      await running;
      rmSync(fresh, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    });
    assert.deepEqual(await client.request('stack.list'), []);
    assert.deepEqual(
      (await client.request('hosts.list')).map((h) => [h.host, h.state]),
      [['edge-9', 'connected']],
    );
  });

  it('reconnects with backoff after the controller restarts; services keep running meanwhile', async (t) => {
    const home = scratch(t);
    const first = await startController(t, home);
    const links = new LinkEvents();
    const dir = stateDir();
    const worker = await init({
      stateDir: dir,
      host: 'edge-r',
      controller: {
        url: first.url,
        token: first.token,
        certFingerprint: first.fingerprint,
        initialDelayMs: 20,
        maxDelayMs: 200,
      },
      onController: links.listener,
    });
    const abort = new AbortController();
    const running = worker(abort.signal);
    t.after(async () => {
      abort.abort();
      await running;
      rmSync(dir, { recursive: true, force: true });
    });
    const stack = uniqueStack('restart');
    const before = await clientOf(t, first);
    assert.equal((await before.request('stack.up', { stack: sleepers(stack) })).ok, true);
    const pids = (await before.request('status', { stack })).map((r) => r.pid as number);

    const lost = links.next((e) => e.type === 'disconnected');
    const retried = links.next((e) => e.type === 'retrying' && e.attempt >= 2);
    await first.stop();
    assert.match(
      (await lost).type === 'disconnected' ? ((await lost) as { reason: string }).reason : '',
      /1001/,
    );
    await retried; // nothing listens: attempts fail and back off
    for (const pid of pids) assert.ok(alive(pid), `pid ${pid} keeps running without a controller`);

    const back = links.next((e) => e.type === 'registered');
    const second = await startController(t, home, first.port);
    const registered = await back;
    assert.ok(registered.type === 'registered' && registered.attempts >= 1);
    const after = await clientOf(t, second);
    assert.deepEqual(
      (await after.request('status', { stack })).map((r) => r.pid),
      pids,
      'the same processes, not restarted',
    );
    await after.request('stack.down', { stack });
    for (const pid of pids) assert.ok(!alive(pid));
  });
});

interface WorkerProcess {
  readonly process: ChildProcess;
  until(match: (e: { type: string }) => boolean): Promise<void>;
}

/** Runs test/fixtures/standalone-worker.ts in its own process (killed after the test). */
function spawnWorker(t: TestContext, c: Controller, dir: string, host: string): WorkerProcess {
  const script = fileURLToPath(new URL('./fixtures/standalone-worker.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, c.url, c.fingerprint, dir, host], {
    cwd: join(fileURLToPath(new URL('.', import.meta.url)), '..'),
    env: { ...process.env, HARNESS_TOKEN: c.token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    child.kill('SIGKILL');
  });
  const seen: { type: string }[] = [];
  const waiters: { match: (e: { type: string }) => boolean; resolve: () => void }[] = [];
  let buf = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const e = JSON.parse(buf.slice(0, i)) as { type: string };
      buf = buf.slice(i + 1);
      seen.push(e);
      for (const w of waiters.filter((x) => x.match(e))) w.resolve();
    }
  });
  return {
    process: child,
    until: (match) =>
      new Promise((resolve, reject) => {
        if (seen.some(match)) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`worker process: nothing matching in ${JSON.stringify(seen)}`)),
          30_000,
        );
        child.once('exit', (code) =>
          reject(new Error(`worker process exited (${code}): ${JSON.stringify(seen)}`)),
        );
        waiters.push({
          match,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
  };
}
