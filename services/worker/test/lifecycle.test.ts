import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ServiceRegistry } from '@harness/service-registry';
import { init, WorkerError } from '../src/index.js';
import { alive, scratch, smallStack, startWorker, stateDir, uniqueStack, untilRecords } from './helpers.js';

describe('worker lifecycle', () => {
  it('leaves the services running when run ends, and a new worker adopts them without a new spawn', async (t) => {
    const dir = stateDir();
    const stack = uniqueStack('adopt');
    const first = await startWorker(t, { stateDir: dir, host: 'box-1' }, false);
    await first.worker.api.up(smallStack(stack));
    const before = first.worker.api.status(stack).map((r) => [r.service, r.pid] as const);
    await first.stop();
    for (const [, pid] of before) assert.ok(pid !== undefined && alive(pid), `pid ${pid} did not survive`);

    const second = await startWorker(t, { stateDir: dir, host: 'box-1' });
    const after = second.worker.api.status(stack).map((r) => [r.service, r.pid] as const);
    assert.deepEqual(after, before);
    const spawned = second.worker.manager.events.recent('all').filter((e) => e.type === 'spawned');
    assert.deepEqual(
      spawned.map((e) => (e.type === 'spawned' ? [e.service, e.pid, e.adopted] : [])).sort(),
      before.map(([s, pid]) => [s, pid, true]).sort(),
    );
    // The counters carry over: the new worker spawned nothing, the first one one each.
    for (const r of second.worker.api.status(stack)) assert.equal(r.counters.spawned, 1);

    // The registry still shows them, with the same pids, once the new worker reconciled.
    const registry = await ServiceRegistry.open({ dir: join(dir, 'registry') });
    t.after(() => registry.close());
    const pids = await untilRecords(registry, { stack }, (rs) =>
      rs.length === 2 && rs.every((r) => r.state === 'running') ? rs : undefined,
    );
    assert.deepEqual(
      pids.map((r) => [r.service, r.target?.kind === 'process' ? r.target.pid : undefined]).sort(),
      [...before].sort(),
    );
  });

  it('returns from run promptly after abort, also when aborted before run starts', async () => {
    const dir = stateDir();
    try {
      const worker = await init({ stateDir: dir, host: 'box-1' });
      const abort = new AbortController();
      abort.abort();
      await worker(abort.signal);
      assert.equal(worker(abort.signal), worker(abort.signal), 'run is one run, however often called');
      assert.throws(() => worker.manager.status('x'), { code: 'UNKNOWN_STACK' });
      await assert.rejects(worker.api.up(smallStack('late')), { code: 'CLOSED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a corrupt state file, naming it', async (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, 'state.json'), '{"version": 1, "stacks": ');
    await assert.rejects(init({ stateDir: dir, host: 'box-1' }), (e: unknown) => {
      assert.ok(e instanceof WorkerError);
      assert.equal(e.code, 'STATE_CORRUPT');
      assert.match(e.message, new RegExp(`state file ${join(dir, 'state.json')} is not valid`));
      return true;
    });
  });

  it('rejects a state folder that is a file', async (t) => {
    const file = join(scratch(t), 'plain-file');
    writeFileSync(file, 'x');
    await assert.rejects(init({ stateDir: file }), { code: 'STATE_UNUSABLE', name: 'WorkerError' });
  });

  it('rejects a registry folder it cannot use, and leaves nothing open', async (t) => {
    const dir = scratch(t);
    const registryDir = join(dir, 'registry');
    mkdirSync(registryDir);
    writeFileSync(join(registryDir, 'FORMAT'), 'something else entirely');
    await assert.rejects(init({ stateDir: dir, registryDir, host: 'box-1' }), { code: 'REGISTRY_FAILED' });
  });

  it('reports every bad option at once, quoting the values', async () => {
    await assert.rejects(
      init({ stateDir: '', host: '-bad host', logLimits: { maxBytes: -1, keep: -1 } }),
      (e: unknown) => {
        assert.ok(e instanceof WorkerError);
        assert.equal(e.code, 'INVALID_OPTION');
        for (const part of ['stateDir', '"-bad host"', 'maxBytes', 'keep'])
          assert.ok(e.message.includes(part), part);
        return true;
      },
    );
    await assert.rejects(
      init({
        stateDir: '/tmp/x',
        controller: { url: 'ws://c:1', token: ' ', certFingerprint: 'f', maxDelayMs: 0 },
      }),
      (e: unknown) => {
        assert.ok(e instanceof WorkerError);
        assert.equal(e.code, 'INVALID_OPTION');
        for (const part of ['"ws://c:1"', 'controller.token', '"f"', 'controller.maxDelayMs'])
          assert.ok(e.message.includes(part), `${part} in ${e.message}`);
        return true;
      },
    );
  });
});
