import type { HarnessClient } from './client.js';
import { isLagged, type Lagged } from './event-queue.js';
import type { WorkerApi } from './methods.js';

async function* withoutLagged<T>(items: AsyncIterable<T | Lagged>): AsyncGenerator<Exclude<T, Lagged>> {
  for await (const item of items) if (!isLagged(item)) yield item as Exclude<T, Lagged>;
}

/**
 * The {@link WorkerApi} of a daemon reached over the protocol: each call is a request (or a
 * subscription) on `client`. Lets a read side (the HTTP server) run apart from the daemon.
 * Errors keep the daemon's code (`UNKNOWN_STACK`, …) as {@link ProtocolError}s.
 *
 * @example
 * const worker = remoteWorker(await HarnessClient.connect({ socketPath }, { token }));
 * console.log(await worker.status());
 */
export function remoteWorker(client: HarnessClient): WorkerApi {
  return {
    up: (stack, services) =>
      client.request('stack.up', services === undefined ? { stack } : { stack, services: [...services] }),
    down: async (stack) => {
      await client.request('stack.down', { stack });
    },
    start: (stack, service) => client.request('service.start', { stack, services: [service] }),
    stop: async (stack, service) => {
      await client.request('service.stop', { stack, services: [service] });
    },
    restart: (stack, service) => client.request('service.restart', { stack, services: [service] }),
    status: (stack) => client.request('status', stack === undefined ? {} : { stack }),
    stacks: () => client.request('stack.list', {}),
    logs: (stack, services, options) =>
      withoutLagged(
        client.subscribe(
          'logs',
          {
            stack,
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
            ...(filter.stack !== undefined ? { stack: filter.stack } : {}),
            ...(filter.replay !== undefined ? { replay: filter.replay } : {}),
          },
          filter.signal !== undefined ? { signal: filter.signal } : {},
        ),
      ),
  };
}
