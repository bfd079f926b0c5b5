// A FAKE WorkerApi, in memory: it runs nothing. It lets the controller's protocol handling be
// tested without processes; test/real-worker.test.ts runs the controller on a real ServiceManager.
import { EventEmitter } from 'node:events';
import type { EventsParams, LogsParams, WorkerApi } from '@harness/protocol';
import type {
  InstanceInfo,
  ManagerEvent,
  StackSpec,
  StampedLogLine,
  UpOutcome,
} from '@harness/service-orchestration';

class FakeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Events pushed by the test reach every open `events` subscription. */
export class FakeWorker implements WorkerApi {
  readonly stackSpecs = new Map<string, StackSpec>();
  readonly calls: string[] = [];
  /** Emits `event` (e) once an events subscriber has taken e and asked for the next one. */
  readonly delivered = new EventEmitter();
  readonly #listeners = new Set<(e: ManagerEvent) => void>();

  async up(stack: StackSpec, services?: readonly string[]): Promise<UpOutcome> {
    this.calls.push(`up ${stack.name}`);
    if (stack.name === 'boom') throw new Error('disk on fire');
    this.stackSpecs.set(stack.name, stack);
    const names = services ?? stack.services.map((s) => s.name);
    return { ok: true, services: names.map((service) => ({ service, ok: true, state: 'running' })) };
  }
  async down(stack: string): Promise<void> {
    this.#stack(stack);
    this.stackSpecs.delete(stack);
  }
  async start(stack: string, service: string): Promise<UpOutcome> {
    this.#service(stack, service);
    this.calls.push(`start ${stack}/${service}`);
    return { ok: true, services: [{ service, ok: true, state: 'running' }] };
  }
  async stop(stack: string, service: string): Promise<void> {
    this.#service(stack, service);
    this.calls.push(`stop ${stack}/${service}`);
  }
  async restart(stack: string, service: string): Promise<UpOutcome> {
    this.calls.push(`restart ${stack}/${service}`);
    return this.start(stack, service);
  }
  status(stack?: string): InstanceInfo[] {
    if (stack !== undefined) this.#stack(stack);
    return [];
  }
  stacks(): string[] {
    return [...this.stackSpecs.keys()];
  }
  logs(
    stack: string,
    _services: readonly string[] | undefined,
    options: LogsParams,
  ): AsyncIterable<StampedLogLine> {
    this.#stack(stack);
    const count = options.tail ?? 3;
    return (async function* () {
      for (let i = 0; i < count; i++)
        yield { service: 'web', instance: 0, line: `line ${i}`, offset: i, time: i };
    })();
  }
  events(filter: EventsParams): AsyncIterable<ManagerEvent> {
    const queue: ManagerEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (e: ManagerEvent): void => {
      if (filter.stack !== undefined && e.stack !== filter.stack) return;
      queue.push(e);
      wake?.();
    };
    this.#listeners.add(listener);
    const listeners = this.#listeners;
    const signal = filter.signal;
    const delivered = this.delivered;
    return (async function* () {
      try {
        while (!signal?.aborted) {
          const e = queue.shift();
          if (e !== undefined) {
            yield e;
            delivered.emit('event', e);
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
  }

  /** Subscribers currently listening to events. */
  get eventListeners(): number {
    return this.#listeners.size;
  }

  emit(event: ManagerEvent): void {
    for (const l of this.#listeners) l(event);
  }

  #stack(name: string): StackSpec {
    const spec = this.stackSpecs.get(name);
    if (spec === undefined) throw new FakeError('UNKNOWN_STACK', `no stack named ${name}`);
    return spec;
  }
  #service(stack: string, service: string): void {
    if (!this.#stack(stack).services.some((s) => s.name === service)) {
      throw new FakeError('UNKNOWN_SERVICE', `no service named ${service} in stack ${stack}`);
    }
  }
}

export function stateEvent(stack: string, n: number, reason?: string): ManagerEvent {
  const e = {
    type: 'state',
    time: n,
    stack,
    service: 'web',
    instance: 0,
    previous: 'stopped',
    state: 'running',
  } as const;
  return reason === undefined ? e : { ...e, reason };
}
