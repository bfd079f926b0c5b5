import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import type { ManagerEvent } from '../src/index.js';
import { openManager, probe, shService, stateOf, uniqueStack, waitForEvent } from './helpers.js';

/** A port that was free a moment ago (bound on port 0, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

const tcpServer = (port: number): string =>
  `exec node -e "require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('listening'))"`;

describe('dependencies', () => {
  it('starts api only after db passed its tcp readiness probe', async (t) => {
    const manager = await openManager(t);
    const port = await freePort();
    const name = uniqueStack('deps');
    const outcome = await manager.up({
      name,
      services: [
        shService('db', tcpServer(port), {
          readiness: probe({ kind: 'tcp', host: '127.0.0.1', port }),
        }),
        shService('api', 'exec sleep 1000', { dependsOn: { db: 'healthy' } }),
      ],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const events = manager.events.recent();
    const dbHealthy = events.findIndex(
      (e) => e.service === 'db' && e.type === 'state' && e.state === 'healthy',
    );
    const apiSpawned = events.findIndex((e) => e.service === 'api' && e.type === 'spawned');
    const dbOk = events.findIndex(
      (e) => e.service === 'db' && e.type === 'health' && e.probe === 'readiness' && e.ok,
    );
    assert.ok(dbHealthy >= 0 && apiSpawned >= 0 && dbOk >= 0);
    assert.ok(dbHealthy < apiSpawned, 'api spawned before db was healthy');
    assert.ok((events[dbHealthy] as ManagerEvent).time <= (events[apiSpawned] as ManagerEvent).time);
    assert.equal(stateOf(manager, name, 'db').state, 'healthy');
    assert.equal(stateOf(manager, name, 'api').state, 'running');
  });

  it('starts api only after migrate completed with exit 0', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('completed');
    const outcome = await manager.up({
      name,
      services: [
        shService('migrate', 'echo migrating; exit 0', { restart: { policy: 'never' } }),
        shService('api', 'exec sleep 1000', { dependsOn: { migrate: 'completed' } }),
      ],
    });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const events = manager.events.recent();
    const migrateExit = events.findIndex((e) => e.service === 'migrate' && e.type === 'exit' && e.code === 0);
    const apiSpawned = events.findIndex((e) => e.service === 'api' && e.type === 'spawned');
    assert.ok(migrateExit >= 0 && apiSpawned > migrateExit, 'api spawned before migrate exited 0');
    assert.equal(stateOf(manager, name, 'api').state, 'running');
  });

  it('leaves api stopped, naming migrate, when migrate exits 1 with policy never', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('migrate-fails');
    const outcome = await manager.up({
      name,
      services: [
        shService('migrate', 'exit 1', { restart: { policy: 'never' } }),
        shService('api', 'exec sleep 1000', { dependsOn: { migrate: 'completed' } }),
      ],
    });
    assert.equal(outcome.ok, false);
    const api = stateOf(manager, name, 'api');
    assert.equal(api.state, 'stopped');
    assert.match(api.reason ?? '', /migrate/);
    assert.equal(api.pid, undefined);
    assert.equal(stateOf(manager, name, 'migrate').state, 'failed');
    const apiOutcome = outcome.services.find((s) => s.service === 'api');
    assert.match(apiOutcome?.reason ?? '', /dependency migrate failed: exit code 1/);
    assert.equal(
      manager.events.recent().some((e) => e.service === 'api' && e.type === 'spawned'),
      false,
    );
  });

  it('waits for a started dependency without waiting for it to be ready', async (t) => {
    const manager = await openManager(t);
    const name = uniqueStack('started');
    const outcome = await manager.up({
      name,
      services: [
        shService('worker', 'exec sleep 1000'),
        shService('sidecar', 'exec sleep 1000', { dependsOn: { worker: 'started' } }),
      ],
    });
    assert.equal(outcome.ok, true);
    const spawned = await waitForEvent(
      manager.events,
      (e) => e.service === 'sidecar' && e.type === 'spawned',
    );
    assert.equal(spawned.type, 'spawned');
  });
});
