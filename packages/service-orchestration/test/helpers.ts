/**
 * Helpers of the tests against real processes: scratch state folders, managers that are shut
 * down after the test, event waits with an upper bound, and process liveness from /proc.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { readProcStat, type SharedEventStream } from '@harness/command-executor';
import {
  type ManagerEvent,
  type ProbeSpec,
  type ServiceSpec,
  ServiceManager,
  type ServiceManagerOptions,
  serviceSpec,
} from '../src/index.js';

/** A scratch folder removed after the test. */
export function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'svcorch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let stackCounter = 0;
/** A stack name unique to this test run (the processes of a stack are found by it). */
export function uniqueStack(label: string): string {
  return `${label}-${process.pid}-${++stackCounter}`;
}

/** A scratch folder for a manager's state, removed by {@link openManager}'s clean-up. */
export function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'svcorch-'));
}

/**
 * A manager on a scratch folder (removed after the test); after the test every stack it still runs is brought down, the
 * manager closed, and any process left of its stacks SIGKILLed.
 */
export async function openManager(
  t: TestContext,
  options: Partial<ServiceManagerOptions> = {},
): Promise<ServiceManager> {
  const dir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'svcorch-'));
  const manager = await ServiceManager.open({ random: () => 0.5, ...options, stateDir: dir });
  t.after(async () => {
    await shutDown(manager);
    rmSync(dir, { recursive: true, force: true });
  });
  return manager;
}

/** Brings every stack of the manager down, closes it, and kills whatever of them is left. */
export async function shutDown(manager: ServiceManager): Promise<void> {
  const names = (() => {
    try {
      return manager.stacks();
    } catch {
      return [];
    }
  })();
  for (const name of names) {
    try {
      await manager.down(name);
    } catch {
      // closed already
    }
  }
  await manager.close();
  for (const name of names) for (const pid of stackProcesses(name)) killQuietly(pid);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** A service running a shell script. */
export function shService(
  name: string,
  script: string,
  more: Partial<Omit<Parameters<typeof serviceSpec>[0], 'name' | 'target'>> = {},
): ServiceSpec {
  return serviceSpec({
    name,
    target: { kind: 'process', command: { shell: script } },
    shutdown: { signal: 'SIGTERM', timeoutMs: 2000 },
    ...more,
  });
}

/** A probe with fast timings. */
export function probe(p: Partial<ProbeSpec> & Pick<ProbeSpec, 'kind'> & Record<string, unknown>): ProbeSpec {
  return { intervalMs: 50, timeoutMs: 1000, retries: 1, startPeriodMs: 0, ...p } as ProbeSpec;
}

/** Options of {@link waitForEvent}. */
export interface WaitOptions {
  /** Upper bound (ms) for a test that would otherwise hang; not a timing the test relies on. */
  readonly timeoutMs?: number;
  /** Only events that came after this one. */
  readonly after?: ManagerEvent;
}

/**
 * Resolves with the first event (history included, or after `options.after`) that matches, or
 * rejects after the upper bound.
 */
export async function waitForEvent<E extends ManagerEvent>(
  events: SharedEventStream<ManagerEvent>,
  match: (e: ManagerEvent) => e is E,
  options?: WaitOptions,
): Promise<E>;
export async function waitForEvent(
  events: SharedEventStream<ManagerEvent>,
  match: (e: ManagerEvent) => boolean,
  options?: WaitOptions,
): Promise<ManagerEvent>;
export async function waitForEvent(
  events: SharedEventStream<ManagerEvent>,
  match: (e: ManagerEvent) => boolean,
  options: WaitOptions = {},
): Promise<ManagerEvent> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const abort = new AbortController();
  const reader = events.subscribe({ replay: Number.MAX_SAFE_INTEGER, signal: abort.signal });
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let past = options.after === undefined;
  try {
    for await (const e of reader) {
      if (e.type === 'lagged') continue;
      if (!past) {
        past = e === options.after;
        continue;
      }
      if (match(e)) return e;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  throw new Error(`no matching event within ${timeoutMs} ms`);
}

/** Every event so far (from the history). */
export function eventsSoFar(events: SharedEventStream<ManagerEvent>): ManagerEvent[] {
  return events.recent();
}

/** Whether a pid is gone: no /proc entry, or a zombie (exited, only waiting to be reaped). */
export function gone(pid: number): boolean {
  const st = readProcStat(pid);
  return st === undefined || st.state === 'Z' || st.state === 'X';
}

/**
 * Checks /proc until every pid is gone or the deadline passes (processes reparented to PID 1
 * give no event, and PID 1 reaps lazily); returns those still alive.
 */
export async function aliveAfter(pids: readonly number[], deadlineMs = 5000): Promise<number[]> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const left = pids.filter((p) => !gone(p));
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The live processes whose environment says they belong to a stack (the executor sets
 * HARNESS_STACK for every instance, and children inherit it — setsid ones too).
 */
export function stackProcesses(stack: string, service?: string): number[] {
  const needle = `HARNESS_STACK=${stack}\0`;
  const svcNeedle = service === undefined ? undefined : `HARNESS_SERVICE=${service}\0`;
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!`\0${env}`.includes(`\0${needle}`)) continue;
    if (svcNeedle !== undefined && !`\0${env}`.includes(`\0${svcNeedle}`)) continue;
    if (!gone(pid)) out.push(pid);
  }
  return out;
}

/** The state of one instance in the manager's status. */
export function stateOf(manager: ServiceManager, stack: string, service: string, instance = 0) {
  const row = manager.status(stack).find((r) => r.service === service && r.instance === instance);
  if (row === undefined) throw new Error(`no status row for ${stack}/${service}.${instance}`);
  return row;
}
