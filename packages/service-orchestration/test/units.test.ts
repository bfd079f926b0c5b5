import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalLauncher } from '@harness/command-executor';
import {
  type ActiveProbe,
  backoffDelay,
  DEFAULT_RESTART,
  decideRestart,
  dependents,
  type RestartSpec,
  type RunEnd,
  runProbe,
  serviceSpec,
  StateStore,
  startOrder,
  withDependencies,
} from '../src/index.js';

const spec = (over: Partial<RestartSpec> = {}): RestartSpec => ({
  ...DEFAULT_RESTART,
  backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 },
  ...over,
});
const fresh = { restarts: 0, failures: [] };
const end = (e: Partial<RunEnd>): RunEnd => ({ code: 0, signal: null, ranMs: 5, ...e });

describe('decideRestart', () => {
  const ends: [string, RunEnd][] = [
    ['exit 0', end({ code: 0 })],
    ['exit 1', end({ code: 1 })],
    ['signal', end({ code: null, signal: 'SIGKILL' })],
    ['unknown', end({ code: null })],
    ['unhealthy', end({ code: 0, unhealthy: true })],
  ];
  const table: Record<string, Record<string, string>> = {
    always: {
      'exit 0': 'restart',
      'exit 1': 'restart',
      signal: 'restart',
      unknown: 'restart',
      unhealthy: 'restart',
    },
    'on-failure': {
      'exit 0': 'complete',
      'exit 1': 'restart',
      signal: 'restart',
      unknown: 'restart',
      unhealthy: 'restart',
    },
    never: { 'exit 0': 'complete', 'exit 1': 'fail', signal: 'fail', unknown: 'fail', unhealthy: 'fail' },
  };
  for (const [policy, row] of Object.entries(table)) {
    for (const [label, e] of ends) {
      it(`${policy} × ${label} → ${row[label]}`, () => {
        const d = decideRestart(spec({ policy: policy as RestartSpec['policy'] }), fresh, e, 1000, 0.5);
        assert.equal(d.action, row[label]);
      });
    }
  }

  it('gives up after max restarts, naming the last end', () => {
    const d = decideRestart(
      spec({ maxRestarts: 2 }),
      { restarts: 2, failures: [] },
      end({ code: 4 }),
      1000,
      0.5,
    );
    assert.deepEqual(d.action === 'fail' && [d.reason, d.breakerTripped], [
      'gave up after 2 restarts (last: exit code 4)',
      false,
    ]);
  });

  it('starts over after a stable run', () => {
    const d = decideRestart(
      spec({ resetAfterMs: 100 }),
      { restarts: 5, failures: [] },
      end({ code: 1, ranMs: 100 }),
      1000,
      0.5,
    );
    assert.deepEqual(d.action === 'restart' && [d.delayMs, d.history.restarts], [100, 1]);
  });

  it('grows the delay with the restarts', () => {
    const delays = [0, 1, 2, 3, 4].map((r) => {
      const d = decideRestart(spec(), { restarts: r, failures: [] }, end({ code: 1 }), 1000, 0.5);
      return d.action === 'restart' ? d.delayMs : -1;
    });
    assert.deepEqual(delays, [100, 200, 400, 800, 1000]);
  });

  it('trips the breaker on too many failures in the window, forgetting old ones', () => {
    const s = spec({ breaker: { failures: 3, windowMs: 1000 } });
    const tripped = decideRestart(s, { restarts: 0, failures: [500, 900] }, end({ code: 1 }), 1000, 0.5);
    assert.ok(tripped.action === 'fail' && tripped.breakerTripped);
    const old = decideRestart(s, { restarts: 0, failures: [-500, 900] }, end({ code: 1 }), 1000, 0.5);
    assert.equal(old.action, 'restart');
    assert.deepEqual(old.history.failures, [900, 1000]);
  });
});

describe('backoffDelay', () => {
  it('caps at max', () => {
    assert.equal(backoffDelay({ initialMs: 100, maxMs: 300, factor: 3, jitter: 0 }, 5, 0.5), 300);
  });
  it('keeps jitter within its bounds', () => {
    const b = { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.2 };
    assert.equal(backoffDelay(b, 0, 0), 800);
    assert.equal(backoffDelay(b, 0, 1), 1200);
    assert.equal(backoffDelay(b, 0, 0.5), 1000);
  });
});

describe('graph', () => {
  const s = (name: string, deps: string[] = []) =>
    serviceSpec({
      name,
      target: { kind: 'process', command: ['true'] },
      dependsOn: Object.fromEntries(deps.map((d) => [d, 'started' as const])),
    });
  const services = [s('api', ['db', 'cache']), s('db'), s('cache', ['db']), s('web', ['api']), s('docs')];
  it('orders dependencies first', () => {
    const order = startOrder(services).map((x) => x.name);
    for (const x of services)
      for (const d of Object.keys(x.dependsOn)) assert.ok(order.indexOf(d) < order.indexOf(x.name));
  });
  it('adds transitive dependencies', () => {
    assert.deepEqual([...withDependencies(services, ['api'])].sort(), ['api', 'cache', 'db']);
    assert.throws(() => withDependencies(services, ['nope']), { code: 'UNKNOWN_SERVICE' });
  });
  it('finds transitive dependents', () => {
    assert.deepEqual([...dependents(services, 'db')].sort(), ['api', 'cache', 'web']);
    assert.deepEqual([...dependents(services, 'docs')], []);
  });
  it('names a cycle', () => {
    assert.throws(() => startOrder([s('a', ['b']), s('b', ['a'])]), {
      code: 'DEPENDENCY_CYCLE',
      message: /a → b → a/,
    });
  });
});

describe('runProbe', () => {
  const launcher = new LocalLauncher();
  const timing = { intervalMs: 100, timeoutMs: 300, retries: 1, startPeriodMs: 0 };
  const probeOf = (p: Record<string, unknown>): ActiveProbe => ({ ...timing, ...p }) as ActiveProbe;

  it('exec: passes on 0, fails on non-zero, times out', async () => {
    assert.equal((await runProbe(probeOf({ kind: 'exec', command: ['true'] }), launcher)).ok, true);
    const bad = await runProbe(
      probeOf({ kind: 'exec', command: { shell: 'echo broken; exit 3' } }),
      launcher,
    );
    assert.deepEqual([bad.ok, bad.message], [false, 'exit code 3: broken']);
    const slow = await runProbe(probeOf({ kind: 'exec', command: ['sleep', '10'] }), launcher);
    assert.deepEqual([slow.ok, slow.message], [false, 'timed out after 300 ms']);
    assert.ok(slow.durationMs < 5000);
  });

  it('http: passes on 2xx, fails on 5xx, times out on a server that never answers', async (t) => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/hang') return;
      res.statusCode = req.url === '/ok' ? 200 : 503;
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    assert.equal((await runProbe(probeOf({ kind: 'http', url: `${base}/ok` }), launcher)).ok, true);
    const down = await runProbe(probeOf({ kind: 'http', url: `${base}/down` }), launcher);
    assert.deepEqual([down.ok, down.message], [false, 'HTTP 503']);
    const expected = await runProbe(
      probeOf({ kind: 'http', url: `${base}/down`, expectStatus: [503] }),
      launcher,
    );
    assert.equal(expected.ok, true);
    const hang = await runProbe(probeOf({ kind: 'http', url: `${base}/hang` }), launcher);
    assert.deepEqual([hang.ok, hang.message], [false, 'timed out after 300 ms']);
  });

  it('tcp: passes on a listening port, fails on a closed one', async (t) => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const port = (server.address() as { port: number }).port;
    assert.equal((await runProbe(probeOf({ kind: 'tcp', host: '127.0.0.1', port }), launcher)).ok, true);
    server.close();
    await once(server, 'close');
    const closed = await runProbe(probeOf({ kind: 'tcp', host: '127.0.0.1', port }), launcher);
    assert.equal(closed.ok, false);
    assert.match(closed.message, /ECONNREFUSED/);
  });
});

describe('StateStore', () => {
  it('write() replaces the state atomically, durable or not, leaving no temporary file', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'svcorch-state-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const store = new StateStore(dir);
    assert.deepEqual(store.load(), { version: 1, stacks: {} });
    const one = {
      version: 1 as const,
      stacks: { a: { spec: { name: 'a', services: [] }, desired: ['x'], instances: {} } },
    };
    await store.write(one, true);
    assert.deepEqual(store.load(), one);
    const two = { version: 1 as const, stacks: {} };
    await store.write(two, false);
    assert.deepEqual(store.load(), two);
    assert.deepEqual(readdirSync(dir), ['state.json']);
  });

  it('refuses a torn or foreign state file with STATE_CORRUPT, naming the file', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'svcorch-state-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'state.json'), '{"version":1,"stacks":');
    assert.throws(
      () => new StateStore(dir).load(),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'STATE_CORRUPT');
        assert.ok(e.message.includes(join(dir, 'state.json')), e.message);
        return true;
      },
    );
  });
});
