/**
 * Quick start: a stack of two services, `api` started once `db` accepts TCP connections.
 * Run it from the package folder: node --import tsx examples/quickstart.ts
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceManager, serviceSpec } from '../src/index.js';

// A free port for the database stand-in.
const probeServer = createServer().listen(0, '127.0.0.1');
await once(probeServer, 'listening');
const port = (probeServer.address() as { port: number }).port;
probeServer.close();

const stateDir = await mkdtemp(join(tmpdir(), 'harness-quickstart-'));
const manager = await ServiceManager.open({ stateDir });

// Print what happens, as it happens.
const printing = (async () => {
  for await (const e of manager.events.subscribe({ replay: 1000 })) {
    if (e.type === 'state') console.log(`${e.service}: ${e.previous} → ${e.state}`);
    else if (e.type === 'spawned') console.log(`${e.service}: spawned pid ${e.pid}`);
    else if (e.type === 'exit') console.log(`${e.service}: exited (${e.signal ?? `code ${e.code}`})`);
  }
})();

const outcome = await manager.up({
  name: 'demo',
  services: [
    serviceSpec({
      name: 'db',
      target: {
        kind: 'process',
        command: ['node', '-e', `require('net').createServer().listen(${port}, '127.0.0.1')`],
      },
      readiness: {
        kind: 'tcp',
        host: '127.0.0.1',
        port,
        intervalMs: 1000,
        timeoutMs: 500,
        retries: 3,
        startPeriodMs: 0,
      },
    }),
    serviceSpec({
      name: 'api',
      target: {
        kind: 'process',
        command: { shell: 'echo "api talks to db on port $DB_PORT"; exec sleep 1000' },
        env: { DB_PORT: String(port) },
      },
      dependsOn: { db: 'healthy' },
    }),
  ],
});
console.log('up:', outcome.ok ? 'ok' : JSON.stringify(outcome.services));

for (const row of manager.status('demo')) {
  console.log(`${row.service}.${row.instance}  ${row.state}  pid ${row.pid}  health ${row.health}`);
}

await manager.down('demo');
await manager.close();
await printing;
await rm(stateDir, { recursive: true, force: true });
