import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/** The error codes the HTTP API answers with. */
export type HttpErrorCode =
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNKNOWN_STACK'
  | 'UNKNOWN_SERVICE'
  | 'INVALID_PARAMS'
  | 'NOT_STARTED'
  | 'INTERNAL';

/**
 * Sends a JSON body with a status.
 *
 * @example
 * sendJson(res, 200, { status: 'ok' });
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * Sends `{ error: { code, message } }` with a status.
 *
 * @example
 * sendError(res, 404, 'NOT_FOUND', 'no route GET /nope');
 */
export function sendError(res: ServerResponse, status: number, code: HttpErrorCode, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/**
 * Writes a chunk and, when the socket's buffer is full, waits for it to drain (or for the
 * response to close). Returns false once the response is closed: stop writing then.
 *
 * @example
 * for await (const line of lines) if (!(await writeOrWait(res, `${JSON.stringify(line)}\n`))) break;
 */
export async function writeOrWait(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(chunk)) return true;
  const closed = once(res, 'close').then(() => false);
  const drained = once(res, 'drain').then(() => true);
  return Promise.race([drained, closed]);
}
