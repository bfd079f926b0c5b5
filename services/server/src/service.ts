import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerApi } from '@harness/protocol';
import { ServerError } from './errors.js';
import { sendError } from './http-reply.js';
import { serviceMetrics } from './metrics.js';
import { handle } from './routes.js';

/** Options of the server's {@link init}. */
export interface ServerOptions {
  /** What the routes read: status, stacks, logs and events. */
  readonly worker: WorkerApi;
  /** Where to listen (default `127.0.0.1`, port 0: any free port). */
  readonly listen?: { readonly host: string; readonly port: number };
  /** The daemon's version, shown by `/health` and the dashboard. */
  readonly version: string;
  /** When the daemon started (ms since the epoch) for `/health`'s `uptimeMs`; default now. */
  readonly startedAt?: number;
}

/** The bound server: call it with a signal to serve until the signal aborts. */
export type ServerRun = ((signal: AbortSignal) => Promise<void>) & {
  /** The base URL it listens on, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
};

/**
 * Sets the HTTP read side up: checks the options and binds the port (`ADDRESS_IN_USE` naming
 * host:port when it is taken). Requests that arrive before `run` get 503 `NOT_STARTED`.
 *
 * `run(signal)` serves `GET /` (dashboard), `/health`, `/metrics`, `/api/stacks`,
 * `/api/stacks/:stack`, `/api/stacks/:stack/logs` (NDJSON, `follow`) and `/api/events` (SSE)
 * until `signal` aborts; then it stops accepting, ends the streaming responses, closes every
 * connection and resolves. No route changes anything.
 *
 * @example
 * const server = await init({ worker: worker.api, version: '0.1.0' });
 * console.log(`dashboard at ${server.url}/`);
 * await server(signal);
 */
export async function init(options: ServerOptions): Promise<ServerRun> {
  const { host, port } = checkOptions(options);
  const startedAt = options.startedAt ?? Date.now();
  const shutdown = new AbortController();
  const metrics = serviceMetrics(options.worker);
  let serving = false;
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (!serving) {
      sendError(res, 503, 'NOT_STARTED', 'the server is not serving yet');
      return;
    }
    open.add(res);
    res.once('close', () => open.delete(res));
    void handle(req, res, {
      worker: options.worker,
      metrics,
      version: options.version,
      startedAt,
      shutdown: shutdown.signal,
    });
  });
  try {
    server.listen(port, host);
    await once(server, 'listening');
  } catch (e) {
    const where = `${host}:${port}`;
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ServerError('ADDRESS_IN_USE', `cannot listen on ${where}: the address is in use`, {
        cause: e,
      });
    }
    throw new ServerError('LISTEN_FAILED', `cannot listen on ${where}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let done: Promise<void> | undefined;
  const run = (signal: AbortSignal): Promise<void> => {
    done ??= (async () => {
      serving = true;
      if (!signal.aborted) await once(signal, 'abort');
      serving = false;
      const closed = once(server, 'close');
      server.close();
      shutdown.abort(); // ends the log follows and event streams
      server.closeIdleConnections();
      // Streams end themselves on the abort (their last chunk written); whatever is still open
      // after the deadline is cut.
      await endedOrDeadline(open, STREAM_END_DEADLINE_MS);
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await closed;
    })();
    return done;
  };
  return Object.assign(run, { url });
}

/** How long `run` lets streaming responses end cleanly once aborted. */
const STREAM_END_DEADLINE_MS = 2000;

/** Resolves when every response in `open` has closed, or after `deadlineMs`. */
async function endedOrDeadline(open: ReadonlySet<ServerResponse>, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadlineMs);
  });
  try {
    await Promise.race([Promise.all([...open].map((res) => once(res, 'close'))), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function checkOptions(options: ServerOptions): { host: string; port: number } {
  const problems: string[] = [];
  const q = (v: unknown): string => JSON.stringify(v) ?? String(v);
  const host = options.listen?.host ?? '127.0.0.1';
  const port = options.listen?.port ?? 0;
  if (typeof host !== 'string' || host === '')
    problems.push(`listen.host must be a non-empty string, got ${q(host)}`);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    problems.push(`listen.port must be a whole number 0-65535, got ${q(port)}`);
  }
  if (typeof options.version !== 'string' || options.version === '') {
    problems.push(`version must be a non-empty string, got ${q(options.version)}`);
  }
  if (options.startedAt !== undefined && !Number.isFinite(options.startedAt)) {
    problems.push(`startedAt must be a time in ms since the epoch, got ${q(options.startedAt)}`);
  }
  if (typeof options.worker !== 'object' || options.worker === null)
    problems.push('worker must be a WorkerApi');
  if (problems.length > 0)
    throw new ServerError('INVALID_OPTION', `invalid server options: ${problems.join('; ')}`);
  return { host, port };
}
