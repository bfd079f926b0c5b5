import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ManagerEvent } from '@harness/service-orchestration';
import { ServiceRegistry } from '@harness/service-registry';
import {
  collectUntil,
  scratch,
  stateDir as stateDir_,
  shService,
  smallStack,
  startWorker,
  uniqueStack,
  untilRecords,
} from './helpers.js';

describe('worker', () => {
  it('runs a stack through its api: up, status, events, logs, down', async (t) => {
    const stateDir = stateDir_();
    const { worker } = await startWorker(t, { stateDir, host: 'box-1' });
    const stack = uniqueStack('api');
    const events = worker.api.events({ stack });
    const outcome = await worker.api.up(smallStack(stack));
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.deepEqual(worker.api.stacks(), [stack]);

    const rows = worker.api.status(stack);
    assert.deepEqual(rows.map((r) => [r.service, r.state]).sort(), [
      ['ticker', 'running'],
      ['web', 'running'],
    ]);
    for (const r of rows) assert.equal(typeof r.pid, 'number');

    const seen = await collectUntil(events, (es) =>
      ['web', 'ticker'].every((s) =>
        es.some((e) => e.type === 'state' && e.service === s && e.state === 'running'),
      ),
    );
    assert.ok(seen.every((e) => e.stack === stack));
    assert.ok(seen.some((e) => e.type === 'spawned' && e.service === 'web' && !e.adopted));

    const lines = await collectUntil(worker.api.logs(stack, ['web', 'ticker'], { tail: 10 }), () => false);
    assert.deepEqual(lines.map((l) => `${l.service}: ${l.line}`).sort(), [
      'ticker: tick 1',
      'ticker: tick 2',
      'web: web up',
    ]);
    const tickerOnly = await collectUntil(worker.api.logs(stack, ['ticker'], { tail: 1 }), () => false);
    assert.deepEqual(
      tickerOnly.map((l) => l.line),
      ['tick 2'],
    );

    await worker.api.down(stack);
    assert.deepEqual(worker.api.stacks(), []);
    assert.throws(() => worker.api.status(stack), { code: 'UNKNOWN_STACK' });
  });

  it('replays past events of one stack only, then live ones', async (t) => {
    const { worker } = await startWorker(t, { stateDir: stateDir_(), host: 'box-1' });
    const a = uniqueStack('replay-a');
    const b = uniqueStack('replay-b');
    await worker.api.up({ name: a, services: [shService('one', 'exec sleep 1000')] });
    await worker.api.up({ name: b, services: [shService('two', 'exec sleep 1000')] });
    const past = await collectUntil(worker.api.events({ stack: a, replay: 2 }), (es) => es.length === 2);
    assert.deepEqual(
      past.map((e) => [e.stack, e.type]),
      [
        [a, 'spawned'],
        [a, 'state'],
      ],
    );
    const abort = new AbortController();
    const live = worker.api.events({ stack: b, signal: abort.signal });
    const stopping = worker.api.stop(b, 'two');
    const got = await collectUntil(live, (es) => es.some((e) => e.type === 'state' && e.state === 'stopped'));
    await stopping;
    assert.ok(got.every((e: ManagerEvent) => e.stack === b));
    abort.abort();
  });

  it('follows the logs of several services and stops following when the signal aborts', async (t) => {
    const { worker } = await startWorker(t, { stateDir: stateDir_(), host: 'box-1' });
    const stack = uniqueStack('follow');
    const fifo = join(scratch(t), 'go');
    execFileSync('mkfifo', [fifo]);
    await worker.api.up({
      name: stack,
      services: [
        shService('a', `echo a-start; read x < ${fifo}; echo a-late; exec sleep 1000`),
        shService('b', 'echo b-start; exec sleep 1000'),
      ],
    });
    const abort = new AbortController();
    const follow = worker.api.logs(stack, ['a', 'b'], { follow: true, tail: 5, signal: abort.signal });
    const lines: string[] = [];
    let wrote = false;
    for await (const l of follow) {
      lines.push(`${l.service}: ${l.line}`);
      if (!wrote && lines.includes('a: a-start') && lines.includes('b: b-start')) {
        wrote = true;
        await writeFile(fifo, 'go\n');
      }
      if (lines.includes('a: a-late')) abort.abort();
    }
    assert.deepEqual(lines.sort(), ['a: a-late', 'a: a-start', 'b: b-start']);
    assert.throws(() => worker.api.logs(stack, ['nope'], {}), { code: 'UNKNOWN_SERVICE' });
  });

  it('keeps one registry record per instance, with pid, start time and endpoints, removed on down', async (t) => {
    const stateDir = stateDir_();
    const { worker } = await startWorker(t, { stateDir, host: 'box-1' });
    const registry = await ServiceRegistry.open({ dir: join(stateDir, 'registry') });
    t.after(() => registry.close());
    assert.equal((await registry.getHost('box-1'))?.network, 'local');
    const stack = uniqueStack('reg');
    await worker.api.up(smallStack(stack));
    const pids = Object.fromEntries(worker.api.status(stack).map((r) => [r.service, r.pid]));
    const records = await untilRecords(registry, { stack }, (rs) =>
      rs.length === 2 && rs.every((r) => r.state === 'running' && r.target !== undefined) ? rs : undefined,
    );
    const web = records.find((r) => r.service === 'web');
    assert.equal(web?.key, `${stack}/web/0`);
    assert.equal(web?.host, 'box-1');
    assert.deepEqual(web?.target, {
      kind: 'process',
      pid: pids.web,
      startTime: web?.target?.kind === 'process' ? web.target.startTime : -1,
    });
    assert.ok(web?.target?.kind === 'process' && web.target.startTime > 0);
    assert.deepEqual(web?.endpoints, [
      { name: 'http', port: 18080 },
      { name: 'admin', port: 18081 },
    ]);
    assert.equal(typeof web?.startedAt, 'string');
    const resolved = await registry.resolve({ stack, service: 'web', endpoint: 'http' }, 'box-1');
    assert.deepEqual([resolved.host, resolved.port, resolved.via], ['127.0.0.1', 18080, 'loopback']);

    await worker.api.stop(stack, 'ticker');
    await untilRecords(registry, { stack, service: 'ticker' }, (rs) =>
      rs[0]?.state === 'stopped' && rs[0].target === undefined ? true : undefined,
    );
    await worker.api.down(stack);
    await untilRecords(registry, { stack }, (rs) => (rs.length === 0 ? true : undefined));
  });
});
