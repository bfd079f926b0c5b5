import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_RESTART, type ManagerEvent } from '@harness/service-orchestration';
import { init, ServerError } from '../src/index.js';
import { readUntil, shService, startServer, testWorker, uniqueStack } from './helpers.js';

/** Resolves with the first manager event that matches (history included), within a bound. */
async function untilEvent(
  events: AsyncIterable<ManagerEvent>,
  match: (e: ManagerEvent) => boolean,
): Promise<ManagerEvent> {
  for await (const e of events) if (match(e)) return e;
  throw new Error('the event stream ended first');
}

describe('server', () => {
  it('answers /health, /api/stacks, /api/stacks/:stack and the dashboard', async (t) => {
    const w = await testWorker(t);
    const stack = uniqueStack('read');
    await w.api.up({
      name: stack,
      services: [shService('web', 'exec sleep 1000', { ports: { http: 18090 } })],
    });
    const { server } = await startServer(t, {
      worker: w.api,
      version: '1.2.3',
      startedAt: Date.now() - 5000,
    });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    const h = (await health.json()) as Record<string, unknown>;
    assert.equal(h.status, 'ok');
    assert.equal(h.version, '1.2.3');
    assert.equal(h.stacks, 1);
    assert.ok(typeof h.uptimeMs === 'number' && h.uptimeMs >= 5000);
    assert.deepEqual(h.services, { total: 1, running: 1, healthy: 0, unhealthy: 0, failed: 0, stopped: 0 });

    assert.deepEqual(await (await fetch(`${server.url}/api/stacks`)).json(), [stack]);
    const rows = (await (await fetch(`${server.url}/api/stacks/${stack}`)).json()) as Record<
      string,
      unknown
    >[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.service, 'web');
    assert.equal(rows[0]?.state, 'running');
    assert.equal(rows[0]?.pid, w.api.status(stack)[0]?.pid);
    assert.deepEqual(rows[0]?.ports, { http: 18090 });

    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /<table id="services">/);
    for (const col of ['State', 'Health', 'PID', 'Restarts', 'Uptime'])
      assert.ok(html.includes(`<th>${col}</th>`), col);
    assert.ok(html.includes("new EventSource('/api/events')"));
    assert.doesNotMatch(html, /<(script|link)[^>]+(src|href)=/, 'no external asset');
    assert.doesNotMatch(html, /setInterval/, 'no polling loop');
  });

  it('answers 404 for unknown routes and stacks, 405 for other methods, 400 for bad params', async (t) => {
    const w = await testWorker(t);
    const stack = uniqueStack('errs');
    await w.api.up({ name: stack, services: [shService('web', 'exec sleep 1000')] });
    const { server } = await startServer(t, { worker: w.api, version: '1.2.3' });
    const err = async (path: string, init?: RequestInit) => {
      const r = await fetch(`${server.url}${path}`, init);
      return [r.status, ((await r.json()) as { error: { code: string } }).error.code, r.headers.get('allow')];
    };
    assert.deepEqual(await err('/nope'), [404, 'NOT_FOUND', null]);
    assert.deepEqual(await err('/api/stacks/a/b/c'), [404, 'NOT_FOUND', null]);
    assert.deepEqual(await err('/api/stacks/ghost'), [404, 'UNKNOWN_STACK', null]);
    assert.deepEqual(await err('/api/stacks/ghost/logs'), [404, 'UNKNOWN_STACK', null]);
    assert.deepEqual(await err(`/api/stacks/${stack}/logs?service=ghost`), [404, 'UNKNOWN_SERVICE', null]);
    assert.deepEqual(await err('/api/events?stack=ghost'), [404, 'UNKNOWN_STACK', null]);
    assert.deepEqual(await err(`/api/stacks/${stack}/logs?tail=-1`), [400, 'INVALID_PARAMS', null]);
    assert.deepEqual(await err(`/api/stacks/${stack}/logs?follow=maybe`), [400, 'INVALID_PARAMS', null]);
    assert.deepEqual(await err('/api/stacks/%E0%A4%A'), [400, 'INVALID_PARAMS', null]);
    assert.deepEqual(await err(`/api/stacks/${stack}`, { method: 'DELETE' }), [
      405,
      'METHOD_NOT_ALLOWED',
      'GET',
    ]);
    assert.deepEqual(await err('/health', { method: 'POST' }), [405, 'METHOD_NOT_ALLOWED', 'GET']);
    // Read-only: the stack is untouched.
    assert.equal(w.api.status(stack)[0]?.state, 'running');
  });

  it('exposes the counters of a service that crashed once in /metrics', async (t) => {
    const w = await testWorker(t);
    const stack = uniqueStack('metrics');
    const marker = join(mkdtempSync(join(tmpdir(), 'harness-server-m-')), 'crashed');
    t.after(() => rmSync(join(marker, '..'), { recursive: true, force: true }));
    const restarted = untilEvent(w.api.events({ stack }), (e) => e.type === 'restart');
    await w.api.up({
      name: stack,
      services: [
        shService('flaky', `if [ ! -e ${marker} ]; then touch ${marker}; exit 3; fi; exec sleep 1000`, {
          restart: { ...DEFAULT_RESTART, backoff: { initialMs: 10, maxMs: 10, factor: 1, jitter: 0 } },
        }),
        shService('calm', 'exec sleep 1000'),
      ],
    });
    await restarted;
    await untilEvent(w.api.events({ stack }), () => w.api.status(stack).every((r) => r.state === 'running'));
    const { server } = await startServer(t, { worker: w.api, version: '1.2.3' });
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const samples = parseProm(await res.text());
    const at = (name: string, service: string, extra = '') =>
      samples.get(`${name}{stack="${stack}",service="${service}"${extra}}`);
    assert.equal(at('harness_service_restarts_total', 'flaky'), 1);
    assert.equal(at('harness_service_spawned_total', 'flaky'), 2);
    assert.equal(at('harness_service_terminated_total', 'flaky'), 1);
    assert.equal(at('harness_service_breaker_trips_total', 'flaky'), 0);
    assert.equal(at('harness_service_up', 'flaky'), 1);
    assert.equal(at('harness_service_state', 'flaky', ',state="running"'), 1);
    assert.equal(at('harness_service_state', 'flaky', ',state="backoff"'), 0);
    assert.equal(at('harness_service_restarts_total', 'calm'), 0);
    assert.equal(at('harness_service_spawned_total', 'calm'), 1);
    const uptime = at('harness_service_uptime_seconds', 'calm');
    assert.ok(uptime !== undefined && uptime >= 0 && uptime < 600);
    assert.equal(samples.get('harness_stacks'), 1);
    const rss = samples.get('process_resident_memory_bytes') ?? 0;
    assert.ok(rss > 1e6 && Math.abs(rss - process.memoryUsage.rss()) < 512 * 2 ** 20, `rss ${rss}`);
    assert.ok((samples.get('process_cpu_seconds_total') ?? 0) > 0, 'process CPU time');
    assert.ok((samples.get('process_open_fds') ?? 0) > 2, 'open fds');

    await w.api.stop(stack, 'calm');
    const after = parseProm(await (await fetch(`${server.url}/metrics`)).text());
    assert.equal(after.get(`harness_service_up{stack="${stack}",service="calm"}`), 0);
    assert.equal(after.get(`harness_service_state{stack="${stack}",service="calm",state="stopped"}`), 1);
    assert.equal(after.get(`harness_service_terminated_total{stack="${stack}",service="calm"}`), 1);
  });

  it('streams logs as NDJSON, follows a line written after the request, and stops following when the client leaves', async (t) => {
    const w = await testWorker(t);
    const stack = uniqueStack('logs');
    const dir = mkdtempSync(join(tmpdir(), 'harness-server-l-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'go');
    execFileSync('mkfifo', [fifo]);
    await w.api.up({
      name: stack,
      services: [shService('app', `echo one; echo two; read x < ${fifo}; echo "late $x"; exec sleep 1000`)],
    });
    const { server } = await startServer(t, { worker: w.api, version: '1.2.3' });

    const tail = await fetch(`${server.url}/api/stacks/${stack}/logs?service=app&tail=1`);
    assert.match(tail.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const tailLines = (await tail.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      tailLines.map((l) => [l.service, l.instance, l.line]),
      [['app', 0, 'two']],
    );

    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/stacks/${stack}/logs?service=app&tail=5&follow=1`, {
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await readUntil(reader, (s) => s.includes('"two"'));
    assert.equal(w.openLogStreams(), 1);
    await writeFile(fifo, 'line\n');
    const text = await readUntil(reader, (s) => s.includes('late line'), first);
    assert.deepEqual(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).line),
      ['one', 'two', 'late line'],
    );
    abort.abort();
    await reader.closed.catch(() => undefined);
    // The server notices the client left and closes its follow.
    await w.logStreamsClosed();
    assert.equal(w.openLogStreams(), 0, 'the follow outlived its client');
  });

  it('streams a large log whole and in order, waiting on the socket when its buffer is full', async (t) => {
    const w = await testWorker(t);
    const stack = uniqueStack('big');
    await w.api.up({ name: stack, services: [shService('loud', 'seq 1 50000; exec sleep 1000')] });
    // Until the last line is in the log file.
    for await (const l of w.api.logs(stack, ['loud'], { follow: true, tail: 1 }))
      if (l.line === '50000') break;
    const { server } = await startServer(t, { worker: w.api, version: '1.2.3' });
    const res = await fetch(`${server.url}/api/stacks/${stack}/logs?tail=50000`);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { line: string }).line);
    assert.equal(lines.length, 50000);
    assert.ok(
      lines.every((l, i) => l === String(i + 1)),
      'lines out of order or missing',
    );
  });

  it('streams manager events over SSE', async (t) => {
    const w = await testWorker(t);
    const stack = uniqueStack('sse');
    await w.api.up({ name: stack, services: [shService('web', 'exec sleep 1000')] });
    const { server } = await startServer(t, { worker: w.api, version: '1.2.3' });
    const abort = new AbortController();
    t.after(() => abort.abort());
    const res = await fetch(`${server.url}/api/events?stack=${stack}`, { signal: abort.signal });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const opened = await readUntil(reader, (s) => s.includes('\n\n'));
    const stopping = w.api.stop(stack, 'web');
    const text = await readUntil(reader, (s) => s.includes('"state":"stopped"'), opened);
    await stopping;
    const events = text
      .split('\n\n')
      .filter((b) => b.startsWith('data: '))
      .map((b) => JSON.parse(b.slice(6)) as ManagerEvent);
    const stopped = events.find((e) => e.type === 'state' && e.state === 'stopped');
    assert.equal(stopped?.stack, stack);
    assert.equal(stopped?.service, 'web');
  });

  it('ends open streams and returns promptly when run is aborted', async (t) => {
    const w = await testWorker(t);
    const stack = uniqueStack('abort');
    await w.api.up({ name: stack, services: [shService('web', 'echo hi; exec sleep 1000')] });
    const { server, stop } = await startServer(t, { worker: w.api, version: '1.2.3' });
    const follow = await fetch(`${server.url}/api/stacks/${stack}/logs?follow=1&tail=1`);
    const events = await fetch(`${server.url}/api/events`);
    const readers = [follow, events].map((r) => (r.body as ReadableStream<Uint8Array>).getReader());
    await readUntil(readers[0]!, (s) => s.includes('"hi"'));
    const begun = Date.now();
    await stop();
    assert.ok(Date.now() - begun < 1500, 'run waited for its shutdown deadline: a stream did not end');
    for (const r of readers) await readUntil(r, () => false); // both end (done), within the bound
    assert.equal(w.openLogStreams(), 0);
    await assert.rejects(fetch(`${server.url}/health`));
  });

  it('rejects a port in use with ADDRESS_IN_USE naming host:port, and bad options', async (t) => {
    const w = await testWorker(t);
    const { server } = await startServer(t, { worker: w.api, version: '1.2.3' });
    const port = Number(new URL(server.url).port);
    await assert.rejects(
      init({ worker: w.api, version: '1', listen: { host: '127.0.0.1', port } }),
      (e: unknown) => {
        assert.ok(e instanceof ServerError);
        assert.equal(e.code, 'ADDRESS_IN_USE');
        assert.ok(e.message.includes(`127.0.0.1:${port}`), e.message);
        return true;
      },
    );
    await assert.rejects(init({ worker: w.api, version: '', listen: { host: '127.0.0.1', port: 70_000 } }), {
      code: 'INVALID_OPTION',
      message: /listen\.port .*70000.*; version/,
    });
  });

  it('answers 503 before run starts', async (t) => {
    const w = await testWorker(t);
    const server = await init({ worker: w.api, version: '1.2.3' });
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NOT_STARTED');
    const abort = new AbortController();
    abort.abort();
    await server(abort.signal);
  });
});

/** Parses Prometheus text into `name{labels}` → value (labels as written by prom-client). */
function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
