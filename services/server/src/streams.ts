import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WorkerApi } from '@harness/protocol';
import { writeOrWait } from './http-reply.js';

/**
 * An abort signal for a streaming response: aborted when the client goes away, or when the
 * server shuts down (`shutdown`).
 */
function streamSignal(res: ServerResponse, shutdown: AbortSignal): AbortSignal {
  const own = new AbortController();
  const stop = (): void => own.abort();
  res.once('close', stop);
  return AbortSignal.any([own.signal, shutdown]);
}

/**
 * Streams log lines as NDJSON (`application/x-ndjson`, one `StampedLogLine` per line): the
 * tails, then with `follow` every new line until the client goes away or the server stops —
 * the followers are closed then. Waits on the socket whenever `write()` says its buffer is full.
 *
 * @example
 * await streamLogs(req, res, worker, 'shop', ['api'], { tail: 100, follow: true }, shutdown);
 */
export async function streamLogs(
  _req: IncomingMessage,
  res: ServerResponse,
  worker: WorkerApi,
  stack: string,
  services: readonly string[],
  options: { readonly tail?: number; readonly follow: boolean },
  shutdown: AbortSignal,
): Promise<void> {
  const signal = streamSignal(res, shutdown);
  // Throws for an unknown stack or service, before the head is sent.
  const lines = worker.logs(stack, services, { ...options, signal });
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  for await (const line of lines) {
    if (!(await writeOrWait(res, `${JSON.stringify(line)}\n`))) break;
  }
  res.end();
}

/**
 * Streams manager events as server-sent events (`text/event-stream`): one unnamed SSE message
 * per event (`EventSource.onmessage`), its `data:` the event as JSON (dispatch on `type`). Runs
 * until the client goes away or the server stops.
 *
 * @example
 * await streamEvents(res, worker, 'shop', shutdown);
 */
export async function streamEvents(
  res: ServerResponse,
  worker: WorkerApi,
  stack: string | undefined,
  shutdown: AbortSignal,
): Promise<void> {
  const signal = streamSignal(res, shutdown);
  const events = worker.events({ ...(stack === undefined ? {} : { stack }), signal });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  // A comment first, so the client sees the stream open at once.
  if (await writeOrWait(res, ': harness events\n\n')) {
    for await (const e of events) {
      if (!(await writeOrWait(res, `data: ${JSON.stringify(e)}\n\n`))) break;
    }
  }
  res.end();
}
