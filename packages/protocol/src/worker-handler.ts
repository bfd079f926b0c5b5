import type { StackSpec, UpOutcome } from '@harness/service-orchestration';
import { ProtocolError } from './errors.js';
import { batchLogLines } from './log-batch.js';
import type { RequestMethod, SubscriptionMethod, WorkerApi } from './methods.js';
import type { FrameParams, RequestHandler } from './responder.js';

/** Runs `op` over several services in the order given and merges the outcomes. */
async function each(
  services: readonly string[],
  op: (service: string) => Promise<UpOutcome>,
): Promise<UpOutcome> {
  const rows = new Map<string, UpOutcome['services'][number]>();
  let ok = true;
  for (const service of services) {
    const outcome = await op(service);
    ok &&= outcome.ok;
    for (const row of outcome.services) rows.set(row.service, row);
  }
  return { ok, services: [...rows.values()] };
}

/**
 * Runs one worker request method against a {@link WorkerApi} (params already checked) and
 * resolves with its result. Methods that are not the worker's (`daemon.info`, `hosts.list`, …)
 * reject with UNKNOWN_METHOD. The `host` param, if any, is not looked at: routing is the
 * controller's business.
 *
 * @example
 * await callWorker(worker.api, 'service.start', { stack: 'shop', services: ['web', 'db'] });
 */
export async function callWorker(
  api: WorkerApi,
  method: RequestMethod,
  params: FrameParams,
): Promise<unknown> {
  const stack = params.stack as string;
  const services = params.services as string[];
  switch (method) {
    case 'stack.up':
      return api.up(params.stack as StackSpec, params.services as string[] | undefined);
    case 'stack.down':
      await api.down(stack);
      return { ok: true };
    case 'stack.list':
      return api.stacks();
    case 'service.start':
      return each(services, (s) => api.start(stack, s));
    case 'service.stop':
      for (const s of services) await api.stop(stack, s);
      return { ok: true };
    case 'service.restart':
      return each(services, (s) => api.restart(stack, s));
    case 'status':
      return api.status(params.stack as string | undefined);
    default:
      throw new ProtocolError('UNKNOWN_METHOD', `${method} is not a worker method`);
  }
}

/**
 * The source of a worker subscription (`logs`, `events`) on a {@link WorkerApi}; throws what the
 * worker throws (UNKNOWN_STACK, …) before anything is read. The source ends once `signal` aborts.
 * `logs` with `wait` gives `LogBatch`es ({@link batchLogLines}) instead of single lines.
 *
 * @example
 * for await (const e of openWorkerStream(api, 'events', { stack: 'shop' }, signal)) console.log(e);
 */
export function openWorkerStream(
  api: WorkerApi,
  method: SubscriptionMethod,
  params: FrameParams,
  signal: AbortSignal,
): AsyncIterable<unknown> {
  if (method === 'logs') {
    const lines = api.logs(params.stack as string, params.services as string[] | undefined, {
      ...(params.tail === undefined ? {} : { tail: params.tail as number }),
      ...(params.follow === undefined ? {} : { follow: params.follow as boolean }),
      signal,
    });
    return params.wait === true ? batchLogLines(lines) : lines;
  }
  return api.events({
    ...(params.stack === undefined ? {} : { stack: params.stack as string }),
    ...(params.replay === undefined ? {} : { replay: params.replay as number }),
    signal,
  });
}

/**
 * A {@link RequestHandler} that runs the worker methods on a {@link WorkerApi}: what a controller
 * uses for its own worker, and what a standalone worker serves its controller with.
 *
 * @example
 * client.serve(workerHandler(worker.api)); // answer the controller's calls on this connection
 */
export function workerHandler(api: WorkerApi): RequestHandler {
  return {
    request: (method, params) => callWorker(api, method, params),
    subscribe: async (method, params, signal) => openWorkerStream(api, method, params, signal),
  };
}
