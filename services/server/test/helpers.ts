/**
 * Helpers of the server tests: a WorkerApi over a real ServiceManager in a scratch folder (the
 * worker service is not a dependency of this package, so a minimal adapter stands in for it),
 * servers that are stopped after the test, and stream readers with generous bounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { LocalWorkerApi } from '@harness/protocol';
import {
  type ServiceSpec,
  ServiceManager,
  type StampedLogLine,
  serviceSpec,
} from '@harness/service-orchestration';
import { init, type ServerOptions, type ServerRun } from '../src/index.js';

/** A WorkerApi over a manager; `openLogStreams` counts log reads not finished yet. */
export interface TestWorker {
  readonly api: LocalWorkerApi;
  readonly manager: ServiceManager;
  openLogStreams(): number;
  /** Resolves when no log read is open (at once if none is). */
  logStreamsClosed(): Promise<void>;
}

/** A manager in a scratch folder, its stacks brought down and the folder removed after the test. */
export async function testWorker(t: TestContext): Promise<TestWorker> {
  const dir = mkdtempSync(join(tmpdir(), 'harness-server-'));
  const manager = await ServiceManager.open({ stateDir: dir, random: () => 0.5 });
  t.after(async () => {
    for (const s of manager.stacks()) await manager.down(s).catch(() => undefined);
    await manager.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let open = 0;
  const waiting: (() => void)[] = [];
  async function* counted(source: AsyncIterable<StampedLogLine>): AsyncGenerator<StampedLogLine> {
    open++;
    try {
      yield* source;
    } finally {
      open--;
      if (open === 0) for (const w of waiting.splice(0)) w();
    }
  }
  const api: LocalWorkerApi = {
    up: (stack, services) => manager.up(stack, services),
    down: (stack) => manager.down(stack),
    start: (stack, service) => manager.start(stack, service),
    stop: (stack, service) => manager.stop(stack, service),
    restart: (stack, service) => manager.restart(stack, service),
    status: (stack) => manager.status(stack),
    stacks: () => manager.stacks(),
    logs: (stack, services, options) => {
      if ((services?.length ?? 0) > 1) throw new Error('the test adapter reads one service or all');
      return counted(manager.logs(stack, services?.[0], options));
    },
    events: (filter) => {
      const reader = manager.events.subscribe(filter.signal === undefined ? {} : { signal: filter.signal });
      return (async function* () {
        for await (const e of reader) {
          if (e.type !== 'lagged' && (filter.stack === undefined || e.stack === filter.stack)) yield e;
        }
      })();
    },
  };
  return {
    api,
    manager,
    openLogStreams: () => open,
    logStreamsClosed: () => (open === 0 ? Promise.resolve() : new Promise((r) => waiting.push(r))),
  };
}

/** A server whose run is aborted after the test; `stop()` aborts it sooner. */
export async function startServer(
  t: TestContext,
  options: ServerOptions,
): Promise<{ server: ServerRun; stop: () => Promise<void> }> {
  const server = await init(options);
  const abort = new AbortController();
  const running = server(abort.signal);
  const stop = async (): Promise<void> => {
    abort.abort();
    await running;
  };
  t.after(stop);
  return { server, stop };
}

let counter = 0;
/** A stack name unique to this run. */
export function uniqueStack(label: string): string {
  return `${label}-${process.pid}-${++counter}`;
}

/** A service running a shell script, stopped fast. */
export function shService(name: string, script: string, more: Partial<ServiceSpec> = {}): ServiceSpec {
  return serviceSpec({
    name,
    target: { kind: 'process', command: { shell: script } },
    shutdown: { signal: 'SIGTERM', timeoutMs: 2000 },
    ...more,
  });
}

/**
 * Reads a streaming body chunk by chunk until `done` says so; resolves with the text so far.
 * Rejects after the bound (a test that would otherwise hang).
 */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
  initial = '',
  timeoutMs = 15_000,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = initial;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stream not done within ${timeoutMs} ms: ${text}`)), timeoutMs);
  });
  try {
    while (!done(text)) {
      const r = await Promise.race([reader.read(), timeout]);
      if (r.done) break;
      text += decoder.decode(r.value, { stream: true });
    }
    return text;
  } finally {
    clearTimeout(timer);
  }
}
