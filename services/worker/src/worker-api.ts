import type { EventsParams, LocalWorkerApi, LogsParams } from '@harness/protocol';
import type { ManagerEvent, ServiceManager, StampedLogLine } from '@harness/service-orchestration';
import { mergeIterables } from './merge-iterables.js';

/**
 * The {@link WorkerApi} over a service manager. `changed(stack)` is told after every call that
 * changes a stack (the registry sync re-reads it then; `down` removes a stack without a later
 * event to notice it by).
 *
 * @example
 * const api = workerApi(manager, (stack) => sync.touch(stack));
 * await api.up(spec);
 */
export function workerApi(manager: ServiceManager, changed: (stack: string) => void): LocalWorkerApi {
  const after = async <T>(stack: string, work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } finally {
      changed(stack);
    }
  };
  return {
    up: (stack, services) => after(stack.name, manager.up(stack, services)),
    down: (stack) => after(stack, manager.down(stack)),
    start: (stack, service) => after(stack, manager.start(stack, service)),
    stop: (stack, service) => after(stack, manager.stop(stack, service)),
    restart: (stack, service) => after(stack, manager.restart(stack, service)),
    status: (stack) => manager.status(stack),
    stacks: () => manager.stacks(),
    logs: (stack, services, options) => mergedLogs(manager, stack, services, options),
    events: (filter) => filteredEvents(manager, filter),
  };
}

/**
 * The named services' logs (all of the stack's when none is named) as one stream. Unknown stacks
 * and services throw here, before anything is read.
 */
function mergedLogs(
  manager: ServiceManager,
  stack: string,
  services: readonly string[] | undefined,
  options: LogsParams,
): AsyncIterable<StampedLogLine> {
  const names = services === undefined || services.length === 0 ? [undefined] : [...new Set(services)];
  const own = new AbortController();
  const signal = options.signal === undefined ? own.signal : AbortSignal.any([options.signal, own.signal]);
  const opts = {
    signal,
    ...(options.tail === undefined ? {} : { tail: options.tail }),
    ...(options.follow === undefined ? {} : { follow: options.follow }),
  };
  const sources = names.map((name) => manager.logs(stack, name, opts));
  if (sources.length === 1 && sources[0] !== undefined) return sources[0];
  return mergeIterables(sources, () => own.abort());
}

/**
 * The manager's events of one stack (or all), after the last `replay` of them. The reader is
 * subscribed now, not at the first `next()`, so nothing that happens in between is missed.
 */
function filteredEvents(manager: ServiceManager, filter: EventsParams): AsyncIterable<ManagerEvent> {
  const wanted = (e: ManagerEvent): boolean => filter.stack === undefined || e.stack === filter.stack;
  // Both synchronous: no event falls between the replayed history and the live reader.
  const replay = filter.replay ?? 0;
  const past = replay > 0 ? manager.events.recent('all').filter(wanted).slice(-replay) : [];
  const reader = manager.events.subscribe(filter.signal === undefined ? {} : { signal: filter.signal });
  return (async function* () {
    try {
      yield* past;
      for await (const e of reader) if (e.type !== 'lagged' && wanted(e)) yield e;
    } finally {
      await reader.return();
    }
  })();
}
