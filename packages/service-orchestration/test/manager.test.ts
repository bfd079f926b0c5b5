import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  aliveAfter,
  openManager,
  shService,
  stateDir,
  stackProcesses,
  stateOf,
  uniqueStack,
} from './helpers.js';

const sleeper = (name: string, dependsOn: Record<string, 'started' | 'healthy' | 'completed'> = {}) =>
  shService(name, 'exec sleep 1000', { dependsOn });

describe('ServiceManager', () => {
  it('changes nothing on a second up', async (t) => {
    const manager = await openManager(t);
    const stack = {
      name: uniqueStack('twice'),
      services: [sleeper('db'), sleeper('api', { db: 'started' })],
    };
    await manager.up(stack);
    const pids = manager.status(stack.name).map((r) => r.pid);
    const spawnedBefore = manager.events.recent().filter((e) => e.type === 'spawned').length;
    const again = await manager.up(stack);
    assert.equal(again.ok, true);
    assert.deepEqual(
      manager.status(stack.name).map((r) => r.pid),
      pids,
    );
    assert.equal(manager.events.recent().filter((e) => e.type === 'spawned').length, spawnedBefore);
  });

  it('starts only the named service and its transitive dependencies', async (t) => {
    const manager = await openManager(t);
    const stack = {
      name: uniqueStack('partial'),
      services: [
        sleeper('db'),
        sleeper('cache', { db: 'started' }),
        sleeper('api', { cache: 'started' }),
        sleeper('web'),
      ],
    };
    const outcome = await manager.up(stack, ['api']);
    assert.deepEqual(outcome.services.map((s) => s.service).sort(), ['api', 'cache', 'db']);
    assert.equal(stateOf(manager, stack.name, 'web').state, 'stopped');
    assert.equal(stateOf(manager, stack.name, 'web').pid, undefined);
    for (const s of ['db', 'cache', 'api']) assert.equal(stateOf(manager, stack.name, s).state, 'running');
    assert.deepEqual(stackProcesses(stack.name, 'web'), []);
  });

  it('stops, starts and restarts one service', async (t) => {
    const manager = await openManager(t);
    const stack = { name: uniqueStack('one'), services: [sleeper('db'), sleeper('api', { db: 'started' })] };
    await manager.up(stack);
    const db = stateOf(manager, stack.name, 'db').pid as number;
    const api = stateOf(manager, stack.name, 'api').pid as number;
    await manager.stop(stack.name, 'api');
    assert.equal(stateOf(manager, stack.name, 'api').state, 'stopped');
    assert.deepEqual(await aliveAfter([api], 3000), []);
    assert.equal(stateOf(manager, stack.name, 'db').pid, db);
    const started = await manager.start(stack.name, 'api');
    assert.equal(started.ok, true);
    const api2 = stateOf(manager, stack.name, 'api').pid as number;
    assert.ok(api2 !== undefined && api2 !== api);
    const restarted = await manager.restart(stack.name, 'db');
    assert.equal(restarted.ok, true);
    const db2 = stateOf(manager, stack.name, 'db').pid;
    assert.ok(db2 !== undefined && db2 !== db);
    assert.deepEqual(await aliveAfter([db], 3000), []);
    assert.deepEqual(manager.stacks(), [stack.name]);
    assert.equal(manager.spec(stack.name).services.length, 2);
  });

  it('rejects unknown stacks, unknown services and cycles with codes', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('errors');
    assert.throws(() => manager.status('nope'), { code: 'UNKNOWN_STACK' });
    await assert.rejects(manager.stop('nope', 'x'), { code: 'UNKNOWN_STACK' });
    await manager.up({ name, services: [sleeper('db')] });
    await assert.rejects(manager.start(name, 'ghost'), { code: 'UNKNOWN_SERVICE', message: /ghost/ });
    assert.throws(() => manager.logs(name, 'ghost'), { code: 'UNKNOWN_SERVICE' });
    await assert.rejects(manager.up({ name, services: [sleeper('db')] }, ['ghost']), {
      code: 'UNKNOWN_SERVICE',
    });
    await assert.rejects(
      manager.up({
        name: uniqueStack('cycle'),
        services: [
          sleeper('a', { c: 'started' }),
          sleeper('b', { a: 'started' }),
          sleeper('c', { b: 'started' }),
        ],
      }),
      { code: 'DEPENDENCY_CYCLE', message: /a → c → b → a/ },
    );
    await assert.rejects(
      manager.up({ name: uniqueStack('missing'), services: [sleeper('a', { zz: 'started' })] }),
      {
        code: 'INVALID_SPEC',
      },
    );
  });

  it('runs replicas, each with its own pid, log file and HARNESS_INSTANCE', async (t) => {
    const dir = stateDir();
    const manager = await openManager(t, { stateDir: dir });
    const name = uniqueStack('replicas');
    await manager.up({
      name,
      services: [shService('worker', 'echo "instance $HARNESS_INSTANCE"; exec sleep 1000', { replicas: 3 })],
    });
    const rows = manager.status(name);
    assert.deepEqual(
      rows.map((r) => r.instance),
      [0, 1, 2],
    );
    assert.equal(new Set(rows.map((r) => r.pid)).size, 3);
    const seen = new Map<number, string>();
    for await (const l of manager.logs(name, 'worker', { follow: true, tail: 5 })) {
      seen.set(l.instance, l.line);
      if (seen.size === 3) break;
    }
    assert.deepEqual([...seen.entries()].sort(), [
      [0, 'instance 0'],
      [1, 'instance 1'],
      [2, 'instance 2'],
    ]);
    for (const r of rows) {
      const env = readFileSync(`/proc/${r.pid}/environ`, 'latin1').split('\0');
      assert.ok(env.includes(`HARNESS_INSTANCE=${r.instance}`));
    }
    assert.equal(rows[0]?.counters.spawned, 3);
    for (const i of [0, 1, 2]) {
      assert.equal(readFileSync(join(dir, 'logs', name, `worker.${i}.log`), 'utf8'), `instance ${i}\n`);
    }
    assert.equal(existsSync(join(dir, 'logs', name, 'worker.3.log')), false);
  });

  it('runs the new command of a stopped service after its spec changed', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('respec');
    await manager.up({ name, services: [shService('svc', 'echo v1; exec sleep 1000')] });
    await manager.stop(name, 'svc');
    await manager.up({ name, services: [shService('svc', 'echo v2; exec sleep 1000')] });
    // (the first run may have been stopped before it wrote v1)
    const seen: string[] = [];
    const signal = AbortSignal.timeout(20_000);
    for await (const l of manager.logs(name, 'svc', { follow: true, tail: 10, signal })) {
      seen.push(l.line);
      if (l.line === 'v2') break;
    }
    assert.equal(seen.at(-1), 'v2', `the new command did not run: ${seen.join(', ')}`);
  });

  it('names the service and the kinds it knows when no executor runs its target', async (t) => {
    const manager = await openManager(t);
    const odd = { ...sleeper('odd'), target: { kind: 'carrier-pigeon' } } as unknown as ReturnType<
      typeof sleeper
    >;
    await assert.rejects(manager.up({ name: uniqueStack('kind'), services: [odd] }), {
      code: 'INVALID_SPEC',
      message:
        /service odd: no executor runs carrier-pigeon targets \(known: process, docker, ssh, package\)/,
    });
  });

  it('refuses to work once closed', async (t) => {
    const manager = await openManager(t);
    await manager.close();
    await assert.rejects(manager.up({ name: uniqueStack('closed'), services: [sleeper('a')] }), {
      code: 'CLOSED',
    });
  });
});
