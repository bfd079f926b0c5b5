import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type InstanceInfo, ServiceManager, type StackSpec } from '@harness/service-orchestration';
import {
  type ApplyResult,
  FileStore,
  type RecordOp,
  type RegistryChange,
  type RegistryWatch,
  type ServiceRecord,
  ServiceRegistry,
} from '@harness/service-registry';
import { type ManagerView, RegistrySync } from '../src/registry-sync.js';
import { scratch, shService, uniqueStack, untilRecords } from './helpers.js';

/** A registry on a FileStore that counts its writes: batches, and any single-record write. */
class CountingRegistry extends ServiceRegistry {
  readonly batches: number[] = [];
  singles = 0;

  override async apply(ops: readonly RecordOp[]): Promise<ApplyResult> {
    this.batches.push(ops.length);
    return super.apply(ops);
  }

  override register(...args: Parameters<ServiceRegistry['register']>): Promise<ServiceRecord> {
    this.singles++;
    return super.register(...args);
  }

  override deregister(...args: Parameters<ServiceRegistry['deregister']>) {
    this.singles++;
    return super.deregister(...args);
  }
}

async function countingRegistry(t: TestContext): Promise<{ registry: CountingRegistry; dir: string }> {
  const dir = scratch(t);
  const registry = new CountingRegistry(await FileStore.open(dir));
  t.after(() => registry.close());
  return { registry, dir };
}

/** The store revision now (as seen from a fresh read of the folder). */
async function revision(registry: ServiceRegistry): Promise<number> {
  return (await registry.store.list('')).revision;
}

/** A manager whose stacks and rows the test sets. */
class FakeManager implements ManagerView {
  readonly rows = new Map<string, InstanceInfo[]>();

  stacks(): string[] {
    return [...this.rows.keys()];
  }

  status(stack: string): InstanceInfo[] {
    const rows = this.rows.get(stack);
    if (rows === undefined) throw new Error(`no stack ${stack}`);
    return rows;
  }

  /** `n` instances of one service, all in `state`. */
  bring(stack: string, n: number, state: InstanceInfo['state']): void {
    this.rows.set(
      stack,
      Array.from({ length: n }, (_, i) => ({
        stack,
        service: `svc-${i}`,
        instance: 0,
        state,
        health: 'none' as const,
        pid: state === 'running' ? 1000 + i : undefined,
        startTime: state === 'running' ? 500 + i : undefined,
        restarts: 0,
        startedAt: state === 'running' ? 1_700_000_000_000 : undefined,
        uptimeMs: undefined,
        ports: { http: 20_000 + i },
        counters: { restarts: 0, spawned: 1, terminated: 0, breakerTrips: 0 },
      })),
    );
  }
}

/** Reads changes of a watch until `done` says so, without ending it. */
async function take(
  watch: RegistryWatch,
  done: (seen: RegistryChange[]) => boolean,
): Promise<RegistryChange[]> {
  const seen: RegistryChange[] = [];
  while (!done(seen)) {
    const r = await watch.next();
    if (r.done === true) break;
    seen.push(r.value);
  }
  return seen;
}

function newSync(manager: ManagerView, registry: ServiceRegistry): { sync: RegistrySync; errors: unknown[] } {
  const errors: unknown[] = [];
  return { sync: new RegistrySync(manager, registry, 'box', (e) => errors.push(e)), errors };
}

describe('RegistrySync', () => {
  it('writes a stack of 100 instances coming up, changing and going down as one revision each', async (t) => {
    const { registry, dir } = await countingRegistry(t);
    const manager = new FakeManager();
    const { sync, errors } = newSync(manager, registry);
    const start = await revision(registry);

    manager.bring('big', 100, 'starting');
    for (let i = 0; i < 100; i++) sync.touch('big'); // one event per instance
    await sync.idle();
    const up = await revision(registry);
    assert.equal(up, start + 1, 'one revision for 100 registrations');
    const records = await registry.list({ stack: 'big' });
    assert.equal(records.length, 100);
    assert.ok(records.every((r) => r.revision === up && r.state === 'starting' && r.host === 'box'));
    assert.deepEqual(await readdir(join(dir, 'log')), ['0000000000000001.json'], 'one log file');

    manager.bring('big', 100, 'running');
    sync.touch('big');
    await sync.idle();
    assert.equal(await revision(registry), up + 1);
    const running = await registry.list({ stack: 'big', state: 'running' });
    assert.equal(running.length, 100);
    assert.deepEqual(running.find((r) => r.key === 'big/svc-7/0')?.target, {
      kind: 'process',
      pid: 1007,
      startTime: 507,
    });

    // Nothing changed: no write at all.
    sync.touch('big');
    await sync.idle();
    assert.equal(await revision(registry), up + 1);

    const watch = registry.watch({ stack: 'big' });
    await take(watch, (seen) => seen.at(-1)?.type === 'synced');
    manager.rows.delete('big');
    sync.touch('big');
    await sync.idle();
    assert.equal(await revision(registry), up + 2, 'one revision for 100 removals');
    assert.deepEqual(await registry.list({ stack: 'big' }), []);
    const deletes = await take(watch, (seen) => seen.length === 100);
    assert.ok(deletes.every((c) => c.type === 'delete' && c.revision === up + 2));
    assert.equal(new Set(deletes.map((c) => (c.type === 'delete' ? c.record.key : ''))).size, 100);
    await watch.return();

    assert.deepEqual(registry.batches, [100, 100, 100]);
    assert.equal(registry.singles, 0);
    assert.deepEqual(errors, []);
  });

  it('writes every stack marked before a pass in that one batch, and only what changed', async (t) => {
    const { registry } = await countingRegistry(t);
    const manager = new FakeManager();
    const { sync, errors } = newSync(manager, registry);
    manager.bring('a', 3, 'running');
    manager.bring('b', 2, 'running');
    sync.touch('a');
    sync.touch('b');
    await sync.idle();
    const first = await revision(registry);
    assert.equal((await registry.list()).length, 5);

    manager.bring('b', 1, 'running'); // b/svc-1 is gone, b/svc-0 unchanged
    manager.rows.set(
      'a',
      manager.status('a').map((r, i) => (i === 0 ? { ...r, state: 'exited', code: 1, pid: undefined } : r)),
    );
    sync.touch('a');
    sync.touch('b');
    await sync.idle();
    assert.equal(await revision(registry), first + 1);
    assert.deepEqual(registry.batches, [5, 2], 'a/svc-0 rewritten, b/svc-1 removed, nothing else');
    assert.deepEqual(
      (await registry.list()).map((r) => `${r.key} ${r.state} ${r.revision - first}`),
      ['a/svc-0/0 exited 1', 'a/svc-1/0 running 0', 'a/svc-2/0 running 0', 'b/svc-0/0 running 0'],
    );
    assert.deepEqual(errors, []);
  });

  it('removes on reconcile the records of this host whose stack the manager no longer runs', async (t) => {
    const { registry } = await countingRegistry(t);
    await registry.apply([
      { register: { stack: 'old', service: 'x', host: 'box' } },
      { register: { stack: 'old', service: 'y', host: 'box' } },
      { register: { stack: 'old', service: 'z', host: 'elsewhere' } },
    ]);
    const manager = new FakeManager();
    manager.bring('new', 2, 'running');
    const { sync, errors } = newSync(manager, registry);
    const before = await revision(registry);
    await sync.reconcile();
    assert.equal(await revision(registry), before + 1);
    assert.deepEqual(
      (await registry.list()).map((r) => r.key),
      ['new/svc-0/0', 'new/svc-1/0', 'old/z/0'],
    );
    assert.deepEqual(errors, []);
  });

  it('reports a failed batch and keeps nothing of it; the next pass writes it again', async (t) => {
    const { registry } = await countingRegistry(t);
    const manager = new FakeManager();
    const { sync, errors } = newSync(manager, registry);
    manager.bring('s', 2, 'running');
    manager.rows.set('s', [...manager.status('s'), { ...manager.status('s')[0]!, service: 'bad/name' }]);
    sync.touch('s');
    await sync.idle();
    assert.equal(errors.length, 1);
    assert.deepEqual(await registry.list(), [], 'nothing of the pass was written');
    manager.bring('s', 2, 'running');
    sync.touch('s');
    await sync.idle();
    assert.equal((await registry.list()).length, 2);
  });

  it('brings a real stack of 40 services up and down in far fewer revisions than instances', async (t) => {
    const n = 40;
    const { registry } = await countingRegistry(t);
    const stateDir = mkdtempSync(join(tmpdir(), 'harness-worker-sync-'));
    const manager = await ServiceManager.open({ stateDir });
    const { sync, errors } = newSync(manager, registry);
    const pump = (async () => {
      for await (const e of manager.events.subscribe()) {
        if (e.type === 'lagged') for (const s of manager.stacks()) sync.touch(s);
        else sync.touch(e.stack);
      }
    })();
    const stack = uniqueStack('many');
    const spec: StackSpec = {
      name: stack,
      services: Array.from({ length: n }, (_, i) => shService(`s${i}`, 'exec sleep 1000')),
    };
    t.after(async () => {
      await manager.down(stack).catch(() => undefined);
      await manager.close();
      await pump;
      rmSync(stateDir, { recursive: true, force: true });
    });
    const start = await revision(registry);
    await manager.up(spec);
    await untilRecords(registry, { stack }, (rs) =>
      rs.length === n && rs.every((r) => r.state === 'running') ? true : undefined,
    );
    await sync.idle();
    const up = await revision(registry);
    assert.equal(up - start, registry.batches.length, 'one revision per pass');
    assert.ok(up - start < n / 2, `${up - start} revisions for ${n} instances`);
    t.diagnostic(
      `up: ${up - start} revisions for ${n} instances (batches of ${registry.batches.join(', ')})`,
    );

    const passes = registry.batches.length;
    await manager.down(stack);
    await untilRecords(registry, { stack }, (rs) => (rs.length === 0 ? true : undefined));
    await sync.idle();
    const down = await revision(registry);
    assert.equal(down - up, registry.batches.length - passes, 'one revision per pass');
    assert.ok(down - up < n / 2, `${down - up} revisions for ${n} instances`);
    t.diagnostic(`down: ${down - up} revisions (batches of ${registry.batches.slice(passes).join(', ')})`);
    assert.equal(registry.singles, 0);
    assert.deepEqual(errors, []);
  });
});
