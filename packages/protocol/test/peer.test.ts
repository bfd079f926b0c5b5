// The two-way side of the protocol: a controller sends its standalone worker requests on the
// connection the worker opened. Here the controller is the small test server (real WebSocket
// over a Unix socket); the worker side is HarnessClient.serve() with workerHandler() over an
// in-memory WorkerApi (a stand-in: the real worker service is tested in services/worker).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { ManagerEvent, StackSpec, StampedLogLine, UpOutcome } from '@harness/service-orchestration';
import type WebSocket from 'ws';
import {
  FrameError,
  HarnessClient,
  parsePeerFrame,
  ProtocolError,
  remoteWorker,
  toProtocolError,
  validateParams,
  type WorkerApi,
  workerHandler,
} from '../src/index.js';
import { type Received, startTestServer } from './test-server.js';

/** An in-memory WorkerApi: one stack `shop` with services web and db; events pushed by the test. */
function memoryWorker(): WorkerApi & { push(e: ManagerEvent): void; calls: string[] } {
  const calls: string[] = [];
  const listeners = new Set<(e: ManagerEvent) => void>();
  const unknown = (stack: string): Error =>
    Object.assign(new Error(`no stack named ${stack}`), { code: 'UNKNOWN_STACK' });
  const outcome = (service: string): UpOutcome => ({
    ok: true,
    services: [{ service, ok: true, state: 'running' }],
  });
  return {
    calls,
    push: (e) => {
      for (const l of listeners) l(e);
    },
    up: async (stack: StackSpec) => {
      calls.push(`up ${stack.name}`);
      return {
        ok: true,
        services: stack.services.map((s) => ({ service: s.name, ok: true, state: 'running' })),
      };
    },
    down: async (stack) => {
      if (stack !== 'shop') throw unknown(stack);
      calls.push(`down ${stack}`);
    },
    start: async (_stack, service) => outcome(service),
    stop: async (_stack, service) => {
      calls.push(`stop ${service}`);
    },
    restart: async (_stack, service) => outcome(service),
    status: (stack) => {
      if (stack !== undefined && stack !== 'shop') throw unknown(stack);
      return [];
    },
    stacks: () => ['shop'],
    logs: (stack, _services, options) => {
      if (stack !== 'shop') throw unknown(stack);
      return (async function* (): AsyncGenerator<StampedLogLine> {
        for (let i = 0; i < (options.tail ?? 2); i++)
          yield { service: 'web', instance: 0, line: `line ${i}`, offset: i, time: i };
      })();
    },
    events: (filter) => {
      const queue: ManagerEvent[] = [];
      let wake: (() => void) | undefined;
      const listener = (e: ManagerEvent): void => {
        queue.push(e);
        wake?.();
      };
      listeners.add(listener);
      const signal = filter.signal;
      return (async function* () {
        try {
          while (!signal?.aborted) {
            const e = queue.shift();
            if (e !== undefined) {
              yield e;
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
              signal?.addEventListener('abort', () => resolve(), { once: true });
            });
          }
        } finally {
          listeners.delete(listener);
        }
      })();
    },
  };
}

/** The test server as a controller: collects what the worker answers, by id. */
async function controllerSide(t: TestContext) {
  const answers: Received[] = [];
  let wake: (() => void) | undefined;
  let socket: WebSocket | undefined;
  const server = await startTestServer(t, (f, ws) => {
    socket = ws;
    answers.push(f);
    wake?.();
  });
  return {
    server,
    send: (frame: unknown) => socket?.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    bind: (ws: WebSocket) => {
      socket = ws;
    },
    /** The next frame from the worker with this id (request answers carry the controller's ids). */
    async next(id: unknown): Promise<Record<string, unknown>> {
      for (;;) {
        const i = answers.findIndex((a) => a.id === id);
        if (i >= 0) return answers.splice(i, 1)[0] as unknown as Record<string, unknown>;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}

async function servingClient(t: TestContext, maxOpen?: number) {
  const side = await controllerSide(t);
  const api = memoryWorker();
  const client = await HarnessClient.connect({ socketPath: side.server.socketPath }, { token: 'good' });
  t.after(() => client.close());
  client.serve(workerHandler(api), maxOpen === undefined ? {} : { maxOpen });
  const [ws] = side.server.sockets;
  if (ws === undefined) assert.fail('no server socket');
  side.bind(ws);
  return { side, api, client };
}

const state = (n: number): ManagerEvent => ({
  type: 'state',
  time: n,
  stack: 'shop',
  service: 'web',
  instance: 0,
  previous: 'stopped',
  state: 'running',
});

describe('parsePeerFrame', () => {
  it('tells requests from answers, and checks each by its own rules', () => {
    const req = parsePeerFrame('{"id":1,"method":"status","params":{"host":"edge-1"}}');
    assert.equal(req.kind, 'request');
    assert.ok(!(req.frame instanceof FrameError));
    const res = parsePeerFrame('{"id":1,"result":[]}');
    assert.deepEqual(res, { kind: 'response', frame: { id: 1, result: [] } });
    const nullError = parsePeerFrame('{"id":null,"error":{"code":"NEW_CODE","message":"m"}}');
    assert.deepEqual(nullError.frame, {
      id: null,
      error: { code: 'INTERNAL', message: 'NEW_CODE: m', data: undefined },
    });
    const bad = parsePeerFrame('{"id":2,"result":1,"end":true}');
    assert.equal(bad.kind, 'response');
    assert.ok(bad.frame instanceof FrameError && bad.frame.id === 2);
    const unknownMethod = parsePeerFrame('{"id":3,"method":"stak.up"}');
    assert.ok(unknownMethod.frame instanceof FrameError && unknownMethod.frame.code === 'UNKNOWN_METHOD');
    const nullRequest = parsePeerFrame('{"id":null,"method":"status"}');
    assert.ok(nullRequest.frame instanceof FrameError);
    assert.equal(nullRequest.frame.code, 'MALFORMED_FRAME');
    const noKind = parsePeerFrame('{"id":4}');
    assert.equal(noKind.kind, 'request');
    assert.match((noKind.frame as FrameError).message, /"method" must be a string/);
    assert.equal(parsePeerFrame('nope').kind, 'unreadable');
  });

  it('checks host params and worker.register', () => {
    assert.equal(validateParams('status', { host: 'edge-1.lan' }), undefined);
    assert.equal(validateParams('hosts.list', {}), undefined);
    assert.equal(validateParams('worker.register', { host: 'a', version: '1', pid: 7 }), undefined);
    const e = validateParams('worker.register', { host: '-x', pid: 0 });
    assert.equal(e?.code, 'INVALID_PARAMS');
    assert.deepEqual(
      ((e as ProtocolError).data as { problems: { path: string }[] }).problems.map((p) => p.path),
      ['params.host', 'params.version', 'params.pid'],
    );
    assert.match(
      validateParams('logs', { stack: 's', host: 7 })?.message ?? '',
      /params.host must be a host name/,
    );
    assert.match(validateParams('worker.register', {})?.message ?? '', /params.host is required/);
  });

  it('toProtocolError keeps protocol errors and passed-through codes, the rest is INTERNAL', () => {
    const gone = new ProtocolError('WORKER_GONE', 'gone');
    assert.equal(toProtocolError(gone), gone);
    assert.equal(
      toProtocolError(Object.assign(new Error('x'), { code: 'UNKNOWN_SERVICE' })).code,
      'UNKNOWN_SERVICE',
    );
    assert.deepEqual(
      [toProtocolError(Object.assign(new Error('y'), { code: 'EACCES' })).code, toProtocolError('z').message],
      ['INTERNAL', 'z'],
    );
  });
});

describe('HarnessClient.serve: answering the daemon on the same connection', { timeout: 30_000 }, () => {
  it('answers requests with the worker api, errors with their codes', async (t) => {
    const { side, api, client } = await servingClient(t);
    side.send({ id: 1, method: 'stack.list' });
    assert.deepEqual(await side.next(1), { id: 1, result: ['shop'] });
    side.send({ id: 2, method: 'service.stop', params: { stack: 'shop', services: ['web', 'db'] } });
    assert.deepEqual(await side.next(2), { id: 2, result: { ok: true } });
    side.send({ id: 3, method: 'service.start', params: { stack: 'shop', services: ['web', 'db', 'web'] } });
    assert.deepEqual(
      ((await side.next(3)).result as UpOutcome).services.map((s) => s.service),
      ['web', 'db'],
    );
    side.send({ id: 4, method: 'stack.down', params: { stack: 'nope' } });
    assert.deepEqual(await side.next(4), {
      id: 4,
      error: { code: 'UNKNOWN_STACK', message: 'no stack named nope' },
    });
    side.send({ id: 5, method: 'daemon.info' });
    assert.deepEqual(await side.next(5), {
      id: 5,
      error: { code: 'UNKNOWN_METHOD', message: 'daemon.info is not a worker method' },
    });
    side.send({ id: 6, method: 'stak.list' });
    assert.equal(((await side.next(6)).error as { code: string }).code, 'UNKNOWN_METHOD');
    side.send({ id: 7, method: 'hello', params: { protocol: 1, token: 'x' } });
    assert.equal(((await side.next(7)).error as { code: string }).code, 'MALFORMED_FRAME');
    side.send({ id: 8, method: 'status', params: { stack: 'shop' } });
    assert.deepEqual(await side.next(8), { id: 8, result: [] });
    side.send({ id: 9, method: 'stack.up', params: { stack: { name: 'x', services: [] } } });
    assert.equal(((await side.next(9)).result as UpOutcome).ok, true);
    side.send({ id: 10, method: 'service.restart', params: { stack: 'shop', services: ['db'] } });
    assert.equal(((await side.next(10)).result as UpOutcome).ok, true);
    assert.deepEqual(api.calls, ['stop web', 'stop db', 'up x']);
    side.send({ id: 11, method: 'status', params: { stack: 'shop', tail: 1 } });
    assert.equal(((await side.next(11)).error as { code: string }).code, 'INVALID_PARAMS');
    // A frame that is not even JSON: the daemon is broken, the connection is dropped.
    side.send('{"not json');
    await client.closed;
    assert.equal(client.closeError?.code, 'MALFORMED_FRAME');
  });

  it('serves subscriptions: subscribed, events, end; cancel; refusals; duplicate ids and the limit', async (t) => {
    const { side, api } = await servingClient(t, 2);
    side.send({ id: 'l', method: 'logs', params: { stack: 'shop', tail: 2 } });
    assert.deepEqual(await side.next('l'), { id: 'l', result: { subscribed: true } });
    assert.equal(((await side.next('l')).event as StampedLogLine).line, 'line 0');
    assert.equal(((await side.next('l')).event as StampedLogLine).line, 'line 1');
    assert.deepEqual(await side.next('l'), { id: 'l', end: true });

    side.send({ id: 'x', method: 'logs', params: { stack: 'nope' } });
    assert.deepEqual(await side.next('x'), {
      id: 'x',
      error: { code: 'UNKNOWN_STACK', message: 'no stack named nope' },
    });

    side.send({ id: 'e', method: 'events', params: {} });
    assert.deepEqual(await side.next('e'), { id: 'e', result: { subscribed: true } });
    api.push(state(1));
    assert.deepEqual(await side.next('e'), { id: 'e', event: state(1) });
    side.send({ id: 'e', method: 'stack.list' });
    assert.equal(((await side.next('e')).error as { code: string }).code, 'DUPLICATE_ID');
    side.send({ id: 'f', method: 'events', params: {} });
    assert.deepEqual(await side.next('f'), { id: 'f', result: { subscribed: true } });
    side.send({ id: 'g', method: 'stack.list' });
    assert.equal(((await side.next('g')).error as { code: string }).code, 'LIMIT_EXCEEDED');
    side.send({ id: 'c', method: 'cancel', params: { id: 'e' } });
    assert.deepEqual(await side.next('e'), { id: 'e', end: true });
    assert.deepEqual(await side.next('c'), { id: 'c', result: { ok: true } });
  });

  it('a daemon that sends requests to a client that does not serve is a bad daemon', async (t) => {
    const server = await startTestServer(t, () => {});
    const client = await HarnessClient.connect({ socketPath: server.socketPath }, { token: 'good' });
    t.after(() => client.close());
    const [ws] = server.sockets;
    ws?.send(JSON.stringify({ id: 1, method: 'stack.list' }));
    await client.closed;
    assert.equal(client.closeError?.code, 'MALFORMED_FRAME');
  });

  it('watchdog: a daemon that says nothing for too long is taken for dead', async (t) => {
    const server = await startTestServer(t, () => {});
    const client = await HarnessClient.connect({ socketPath: server.socketPath }, { token: 'good' });
    t.after(() => client.close());
    const pending = client.request('stack.list');
    client.watchdog(50);
    await client.closed;
    await assert.rejects(pending, { code: 'CONNECTION_CLOSED' });
  });
});

describe('remoteWorker', { timeout: 30_000 }, () => {
  it('names the host in every call when given one', async (t) => {
    const server = await startTestServer(t, (f, ws) => {
      if (f.method === 'logs' || f.method === 'events') {
        ws.send(JSON.stringify({ id: f.id, result: { subscribed: true } }));
        ws.send(JSON.stringify({ id: f.id, lagged: 2 }));
        ws.send(JSON.stringify({ id: f.id, event: { n: 1 } }));
        ws.send(JSON.stringify({ id: f.id, end: true }));
      } else if (f.method === 'stack.up' || f.method === 'service.start' || f.method === 'service.restart')
        ws.send(JSON.stringify({ id: f.id, result: { ok: true, services: [] } }));
      else
        ws.send(
          JSON.stringify({
            id: f.id,
            result: f.method === 'stack.list' || f.method === 'status' ? [] : { ok: true },
          }),
        );
    });
    const client = await HarnessClient.connect({ socketPath: server.socketPath }, { token: 'good' });
    t.after(() => client.close());
    const w = remoteWorker(client, { host: 'edge-1' });
    await w.up({ name: 's', services: [] }, ['a']);
    await w.up({ name: 's', services: [] });
    await w.down('s');
    await w.start('s', 'a');
    await w.stop('s', 'a');
    await w.restart('s', 'a');
    await w.status('s');
    await w.status();
    await w.stacks();
    const lines: unknown[] = [];
    for await (const l of w.logs('s', ['a'], { tail: 1, follow: false })) lines.push(l);
    for await (const e of w.events({ stack: 's', replay: 1 })) lines.push(e);
    assert.deepEqual(lines, [{ n: 1 }, { n: 1 }], 'lagged markers are dropped');
    const sent = server.frames.filter((f) => f.method !== 'hello');
    assert.equal(sent.length, 11);
    for (const f of sent) assert.equal(f.params?.host, 'edge-1', f.method);
  });
});
