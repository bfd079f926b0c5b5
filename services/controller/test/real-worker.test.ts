import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isLagged, type WorkerApi } from '@harness/protocol';
import { ServiceManager, serviceSpec } from '@harness/service-orchestration';
import { start } from './helpers.js';

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
});
