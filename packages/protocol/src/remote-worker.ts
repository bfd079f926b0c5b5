import type { HarnessClient } from './client.js';
import { isLagged, type Lagged } from './event-queue.js';
import type { WorkerApi } from './methods.js';

async function* withoutLagged<T>(items: AsyncIterable<T | Lagged>): AsyncGenerator<Exclude<T, Lagged>> {
  for await (const item of items) if (!isLagged(item)) yield item as Exclude<T, Lagged>;
}

/** Options of {@link remoteWorker}. */
export interface RemoteWorkerOptions {
  /** The host whose worker takes the calls (the `host` param); default the daemon's default. */
  readonly host?: string;
}

/**
 * The {@link WorkerApi} of a daemon reached over the protocol: each call is a request (or a
 * subscription) on `client`. Lets a read side (the HTTP server) run apart from the daemon.
 * Errors keep the daemon's code (`UNKNOWN_STACK`, `WORKER_GONE`, …) as {@link ProtocolError}s.
 *
 * @example
 * const worker = remoteWorker(await HarnessClient.connect({ socketPath }, { token }), { host: 'edge-1' });
 * console.log(await worker.status());
 */
export function remoteWorker(client: HarnessClient, options: RemoteWorkerOptions = {}): WorkerApi {
  const on = options.host === undefined ? {} : { host: options.host };
  return {
    up: (stack, services) =>
      client.request(
        'stack.up',
        services === undefined ? { stack, ...on } : { stack, services: [...services], ...on },
      ),
    down: async (stack) => {
      await client.request('stack.down', { stack, ...on });
    },
    start: (stack, service) => client.request('service.start', { stack, services: [service], ...on }),
    stop: async (stack, service) => {
      await client.request('service.stop', { stack, services: [service], ...on });
    },
    restart: (stack, service) => client.request('service.restart', { stack, services: [service], ...on }),
    status: (stack) => client.request('status', stack === undefined ? { ...on } : { stack, ...on }),
    stacks: () => client.request('stack.list', { ...on }),
    logs: (stack, services, options) =>
      withoutLagged(
        client.subscribe(
          'logs',
          {
            stack,
            ...on,
            ...(services !== undefined ? { services: [...services] } : {}),
            ...(options.tail !== undefined ? { tail: options.tail } : {}),
            ...(options.follow !== undefined ? { follow: options.follow } : {}),
          },
          options.signal !== undefined ? { signal: options.signal } : {},
        ),
      ),
    events: (filter) =>
      withoutLagged(
        client.subscribe(
          'events',
          {
            ...on,
            ...(filter.stack !== undefined ? { stack: filter.stack } : {}),
            ...(filter.replay !== undefined ? { replay: filter.replay } : {}),
          },
          filter.signal !== undefined ? { signal: filter.signal } : {},
        ),
      ),
  };
}
