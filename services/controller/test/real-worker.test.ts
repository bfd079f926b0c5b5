import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { isLagged, type WorkerApi } from '@harness/protocol';
import { ServiceManager, serviceSpec } from '@harness/service-orchestration';
import { RawClient } from './raw.js';
import { type Started, start } from './helpers.js';

/** A WorkerApi over a real ServiceManager (the worker service does this for real). */
function managerWorker(m: ServiceManager): WorkerApi {
  return {
    up: (stack, services) => m.up(stack, services),
    down: (stack) => m.down(stack),
    start: (stack, service) => m.start(stack, service),
    stop: (stack, service) => m.stop(stack, service),
    restart: (stack, service) => m.restart(stack, service),
    status: (stack) => m.status(stack),
    stacks: () => m.stacks(),
    logs: (stack, services, options) => m.logs(stack, services?.[0], options),
    events: (filter) => {
      const reader = m.events.subscribe({
        ...(filter.replay === undefined ? {} : { replay: filter.replay }),
        ...(filter.signal === undefined ? {} : { signal: filter.signal }),
      });
      return (async function* () {
        for await (const e of reader) {
          if ('type' in e && 'stack' in e && (filter.stack === undefined || e.stack === filter.stack))
            yield e;
        }
      })();
    },
  };
}

describe('controller on a real ServiceManager', () => {
  it('starts a stack, reports its status and log, stops it', async (t) => {
    // After-hooks run in the order they are added: manager, controller, clients, then the folder.
    const home = mkdtempSync(join(tmpdir(), 'hc-'));
    const manager = await ServiceManager.open({ stateDir: join(home, 'state') });
    t.after(() => manager.close());
    const d = await start(t, managerWorker(manager), { home, listen: false });
    t.after(() => rmSync(home, { recursive: true, force: true }));
    const client = await d.unix();
    const stack = {
      name: 'demo',
      services: [
        serviceSpec({
          name: 'hello',
          target: { kind: 'process', command: { shell: 'echo hello-from-harness; exec sleep 30' } },
        }),
      ],
    };
    const up = await client.request('stack.up', { stack });
    assert.equal(up.ok, true, JSON.stringify(up));
    const rows = await client.request('status', { stack: 'demo' });
    assert.equal(rows[0]?.service, 'hello');
    assert.equal(rows[0]?.state, 'running');
    assert.ok(typeof rows[0]?.pid === 'number');
    for await (const line of client.subscribe('logs', { stack: 'demo', tail: 10, follow: true })) {
      if (!isLagged(line) && line.line === 'hello-from-harness') break;
    }
    await assert.rejects(client.request('service.stop', { stack: 'demo', services: ['nope'] }), {
      code: 'UNKNOWN_SERVICE',
    });
    assert.deepEqual(await client.request('stack.down', { stack: 'demo' }), { ok: true });
    assert.deepEqual(await client.request('stack.list'), []);
  });

  it('logs with wait: every line of a writer as fast as it can, in order; a stalled reader without wait gets lagged and holds up nobody', async (t) => {
    const n = 300_000;
    const { d, go } = await flood(t, n);
    const waiting = await d.unix();
    const lines = waiting
      .subscribe('logs', { stack: 'flood', tail: 1, follow: true, wait: true })
      [Symbol.asyncIterator]();
    // A reader without wait that stops reading at the socket.
    const stalled = await RawClient.authed(d.run.endpoint.socketPath ?? '', d.token);
    t.after(() => stalled.ws.terminate());
    stalled.send({ id: 1, method: 'logs', params: { stack: 'flood', tail: 1, follow: true } });
    assert.deepEqual(await stalled.next(), { id: 1, result: { subscribed: true } });
    assert.equal((await stalled.next()).event !== undefined, true, 'its first line, "ready"');
    const socket = (stalled.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    assert.equal(await lineOf(lines), 'ready');
    go();
    for (let expected = 1; expected <= n; expected++) assert.equal(await lineOf(lines), String(expected));
    assert.equal((await waiting.request('status', { stack: 'flood' }))[0]?.state, 'running');
    socket.resume();
    let events = 0;
    let lagged = 0;
    while (events + lagged < n) {
      const f = await stalled.next();
      if (typeof f.lagged === 'number') lagged += f.lagged;
      else events++;
    }
    assert.ok(lagged > 0, `the stalled reader got every line (${events}) though it read nothing for a while`);
  });

  it('a wait reader that stops does not stop the daemon answering other clients', async (t) => {
    const n = 1_000_000;
    const { d, go } = await flood(t, n);
    const stopped = await d.unix();
    const lines = stopped
      .subscribe('logs', { stack: 'flood', tail: 1, follow: true, wait: true })
      [Symbol.asyncIterator]();
    assert.equal(await lineOf(lines), 'ready');
    go();
    assert.equal(await lineOf(lines), '1'); // then nothing more is read for a while
    const other = await d.unix();
    assert.equal((await other.request('status', { stack: 'flood' }))[0]?.state, 'running');
    for await (const l of other.subscribe('logs', { stack: 'flood', tail: 2 }))
      assert.ok(!isLagged(l) && /^\d+$/.test(l.line), 'another reader reads the log meanwhile');
    for (let expected = 2; expected <= n; expected++) assert.equal(await lineOf(lines), String(expected));
  });
});

/**
 * A controller on a real manager with stack `flood`: its service prints `ready`, then `seq 1 n`
 * as fast as it can once `go()` is called.
 */
async function flood(t: TestContext, n: number): Promise<{ d: Started; go: () => void }> {
  const home = mkdtempSync(join(tmpdir(), 'hc-'));
  const manager = await ServiceManager.open({ stateDir: join(home, 'state') });
  t.after(async () => {
    await manager.down('flood').catch(() => undefined);
    await manager.close();
  });
  const d = await start(t, managerWorker(manager), { home, listen: false });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const fifo = join(home, 'go');
  execFileSync('mkfifo', [fifo]);
  const shell = `echo ready; cat ${fifo} >/dev/null; seq 1 ${n}; exec sleep 1000`;
  const stack = {
    name: 'flood',
    services: [serviceSpec({ name: 'gen', target: { kind: 'process', command: { shell } } })],
  };
  const client = await d.unix();
  assert.equal((await client.request('stack.up', { stack })).ok, true);
  return { d, go: () => closeSync(openSync(fifo, 'w')) };
}

/** The next line of a logs subscription (a lagged marker fails the test). */
async function lineOf(it: AsyncIterator<unknown>): Promise<string> {
  const r = await it.next();
  assert.equal(r.done, false, 'the subscription ended');
  const v = r.value as { line?: string; lagged?: number };
  assert.equal(v.lagged, undefined, `lost ${v.lagged} lines`);
  return v.line ?? '';
}
