/**
 * Helpers of the worker tests: scratch folders, workers that are shut down (their stacks
 * brought down) after the test, small stacks of real processes, and bounded waits on events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type ServiceSpec, type StackSpec, serviceSpec } from '@harness/service-orchestration';
import type { ServiceFilter, ServiceRecord, ServiceRegistry } from '@harness/service-registry';
import { init, type WorkerOptions, type WorkerRun } from '../src/index.js';

/** A scratch folder removed after the test. */
export function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-worker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A scratch folder for a worker's state; {@link startWorker} removes it after the test. */
export function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'harness-worker-state-'));
}

let counter = 0;
/** A stack name unique to this run. */
export function uniqueStack(label: string): string {
  return `${label}-${process.pid}-${++counter}`;
}

/**
 * A worker whose run is started with a signal aborted after the test; with `downAfter`, its
 * stacks are brought down first and its state folder removed.
 */
export async function startWorker(
  t: TestContext,
  options: WorkerOptions,
  downAfter = true,
): Promise<{ worker: WorkerRun; stop: () => Promise<void> }> {
  const worker = await init(options);
  const abort = new AbortController();
  const running = worker(abort.signal);
  const stop = async (): Promise<void> => {
    abort.abort();
    await running;
  };
  t.after(async () => {
    if (downAfter && !abort.signal.aborted) {
      for (const s of worker.api.stacks()) await worker.api.down(s).catch(() => undefined);
    }
    await stop();
    if (downAfter) rmSync(options.stateDir, { recursive: true, force: true });
  });
  return { worker, stop };
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

/** A stack of two long-running services: `web` (with ports) and `ticker` (prints a line per input). */
export function smallStack(name: string): StackSpec {
  return {
    name,
    services: [
      shService('web', 'echo web up; exec sleep 1000', { ports: { http: 18080, admin: 18081 } }),
      shService('ticker', 'echo tick 1; echo tick 2; exec sleep 1000', { dependsOn: { web: 'started' } }),
    ],
  };
}

/** Resolves with the first value of `check` that is defined, re-checked on every registry change. */
export async function untilRecords<T>(
  registry: ServiceRegistry,
  filter: ServiceFilter,
  check: (records: ServiceRecord[]) => T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const seen = new Map<string, ServiceRecord>();
  let synced = false;
  try {
    for await (const change of registry.watch(filter, { signal: abort.signal })) {
      if (change.type === 'put') seen.set(change.record.key, change.record);
      else if (change.type === 'delete') seen.delete(change.record.key);
      else if (change.type === 'synced') synced = true;
      if (!synced) continue;
      const r = check([...seen.values()]);
      if (r !== undefined) return r;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  throw new Error(`the registry did not reach the expected records within ${timeoutMs} ms`);
}

/** Collects items of an async iterable until `done` says so (or it ends), with an upper bound. */
export async function collectUntil<T>(
  source: AsyncIterable<T>,
  done: (items: T[]) => boolean,
  timeoutMs = 15_000,
): Promise<T[]> {
  const items: T[] = [];
  const it = source[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not done within ${timeoutMs} ms: ${JSON.stringify(items)}`)),
      timeoutMs,
    );
  });
  try {
    while (!done(items)) {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done === true) break;
      items.push(r.value);
    }
    return items;
  } finally {
    clearTimeout(timer);
    void it.return?.();
  }
}

/** Whether a process runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return true;
}
