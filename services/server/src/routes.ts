import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WorkerApi } from '@harness/protocol';
import type { Registry } from 'prom-client';
import { dashboardHtml } from './dashboard.js';
import { healthReport } from './health.js';
import { sendError, sendJson } from './http-reply.js';
import { streamEvents, streamLogs } from './streams.js';

/** What the routes read from. */
export interface RouteContext {
  readonly worker: WorkerApi;
  readonly metrics: Registry;
  readonly version: string;
  readonly startedAt: number;
  /** Aborted when the server stops: ends the streaming responses. */
  readonly shutdown: AbortSignal;
}

class BadRequest extends Error {}

/**
 * Answers one request. Every route is a read (GET); any other method is 405. Errors of the
 * worker with code `UNKNOWN_STACK` / `UNKNOWN_SERVICE` are 404s with that code.
 *
 * @example
 * http.createServer((req, res) => void handle(req, res, context));
 */
export async function handle(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://harness.invalid');
  const parts = url.pathname.split('/').filter((p) => p !== '');
  try {
    const route = match(parts);
    if (route === undefined) {
      return sendError(res, 404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`);
    }
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} ${url.pathname}: only GET is allowed`);
    }
    await route(req, res, ctx, url);
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof BadRequest) sendError(res, 400, 'INVALID_PARAMS', message);
    else if (code === 'UNKNOWN_STACK' || code === 'UNKNOWN_SERVICE') sendError(res, 404, code, message);
    else sendError(res, 500, 'INTERNAL', message);
  }
}

type Route = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext, url: URL) => Promise<void> | void;

function match(parts: readonly string[]): Route | undefined {
  const [a, b, c, d, ...rest] = parts;
  if (rest.length > 0) return undefined;
  if (a === undefined) return dashboard;
  if (b === undefined && a === 'health') return health;
  if (b === undefined && a === 'metrics') return metrics;
  if (a !== 'api') return undefined;
  if (b === 'events' && c === undefined) return events;
  if (b !== 'stacks' || (d !== undefined && d !== 'logs')) return undefined;
  if (c === undefined) return async (_q, res, ctx) => sendJson(res, 200, await ctx.worker.stacks());
  const stack = decode(c);
  return d === 'logs'
    ? (req, res, ctx, url) => logs(req, res, ctx, url, stack)
    : async (_q, res, ctx) => sendJson(res, 200, await ctx.worker.status(stack));
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new BadRequest(`bad escape in path segment ${JSON.stringify(part)}`);
  }
}

function dashboard(_req: IncomingMessage, res: ServerResponse, ctx: RouteContext): void {
  const html = dashboardHtml(ctx.version);
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
  });
  res.end(html);
}

async function health(_req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const [rows, stacks] = await Promise.all([ctx.worker.status(), ctx.worker.stacks()]);
  const report = healthReport(rows, stacks.length, ctx.version, ctx.startedAt, Date.now());
  sendJson(res, 200, report);
}

async function metrics(_req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const text = await ctx.metrics.metrics();
  res.writeHead(200, { 'content-type': ctx.metrics.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function logs(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  url: URL,
  stack: string,
): Promise<void> {
  const q = url.searchParams;
  const tailText = q.get('tail');
  const tail = tailText === null ? undefined : Number(tailText);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) {
    throw new BadRequest(`tail must be a whole number ≥ 0, got ${JSON.stringify(tailText)}`);
  }
  const followText = q.get('follow');
  if (followText !== null && !['', '1', '0', 'true', 'false'].includes(followText)) {
    throw new BadRequest(`follow must be 1, 0, true or false, got ${JSON.stringify(followText)}`);
  }
  const follow = followText === '' || followText === '1' || followText === 'true';
  const services = q.getAll('service');
  await streamLogs(
    req,
    res,
    ctx.worker,
    stack,
    services,
    { follow, ...(tail === undefined ? {} : { tail }) },
    ctx.shutdown,
  );
}

async function events(
  _req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  url: URL,
): Promise<void> {
  const stack = url.searchParams.get('stack') ?? undefined;
  if (stack !== undefined && stack !== '') await ctx.worker.status(stack); // UNKNOWN_STACK before the stream opens
  await streamEvents(res, ctx.worker, stack === '' ? undefined : stack, ctx.shutdown);
}
