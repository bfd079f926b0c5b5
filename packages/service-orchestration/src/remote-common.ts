/*
 * Pieces the docker, ssh and package executors share: the local helper process that carries an
 * instance's output into its log file, line forwarding, notes written into the log, and an
 * instance that had already ended when it was adopted.
 */
import { appendFileSync } from 'node:fs';
import {
  type ExitStatus,
  type ProcessEvent,
  type ProcStat,
  SharedEventStream,
  type StopOptions,
} from '@harness/command-executor';
import type { InstanceRecord, RunningInstance } from './executor.js';

/** What the executors need of a local helper, launched (`ProcessHandle`) or adopted (`AttachedHandle`). */
export interface LocalHelper {
  readonly pid: number;
  readonly startTime: number;
  readonly cgroup: string | undefined;
  readonly events: SharedEventStream<ProcessEvent>;
  wait(): Promise<ExitStatus>;
  stop(options?: StopOptions): Promise<unknown>;
  processes(): ProcStat[];
  logOffsets(): { stdout: number; stderr: number } | undefined;
  detach(): Promise<void>;
}

/** The fields every record has, from a helper. */
export function helperRecord(
  kind: string,
  helper: LocalHelper,
  logFile: string,
  startedAt: number,
  follow: boolean,
): InstanceRecord {
  return {
    kind,
    pid: helper.pid,
    startTime: helper.startTime,
    cgroup: helper.cgroup,
    logFile,
    offset: helper.logOffsets()?.stdout ?? 0,
    startedAt,
    follow,
  };
}

/**
 * Passes the helper's output lines (`types` only) on to `to`; resolves when the helper's stream
 * has ended. A reader too slow for the helper loses lines (it is told `lagged`), never the helper.
 */
export async function forwardLines(
  from: SharedEventStream<ProcessEvent>,
  to: SharedEventStream<ProcessEvent>,
  types: ReadonlySet<'stdout' | 'stderr'>,
): Promise<void> {
  for await (const e of from.subscribe({ replay: 'all' })) {
    if ((e.type === 'stdout' || e.type === 'stderr') && types.has(e.type)) to.push(e);
  }
}

/** Appends a line of Harness's own to an instance's log file (`harness: …`); never throws. */
export function appendNote(logFile: string, text: string): void {
  try {
    appendFileSync(logFile, `harness: ${text}\n`, { mode: 0o640 });
  } catch {
    // the log folder is gone: nothing to tell it to
  }
}

/** A promise with its resolver. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves after `ms` (or at once when aborted); the timer does not keep the process alive. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    timer.unref();
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Calls `onWaiting` every `progressInterval` ms until the returned function is called. */
export function reportWhileWaiting(options: StopOptions, processes: () => ProcStat[]): () => void {
  const report = options.onWaiting;
  if (report === undefined) return () => {};
  const timer = setInterval(() => report(processes()), options.progressInterval ?? 1000);
  return () => clearInterval(timer);
}

/**
 * An instance that had already ended when it was adopted (a container that exited, a remote
 * process whose end was recorded): `wait()` gives the recorded status at once, and `stop()`
 * clears what is left of it.
 */
export function endedInstance(init: {
  readonly status: ExitStatus;
  readonly record: InstanceRecord;
  readonly cleanUp: () => Promise<void>;
}): RunningInstance {
  const events = new SharedEventStream<ProcessEvent>();
  events.push({ type: 'exit', time: Date.now(), ...init.status });
  events.close();
  let cleaned: Promise<void> | undefined;
  return {
    pid: undefined,
    startTime: undefined,
    events,
    adopted: true,
    wait: () => Promise.resolve(init.status),
    stop: () => {
      cleaned ??= init.cleanUp();
      return cleaned;
    },
    processes: () => [],
    record: () => init.record,
    detach: async () => {},
  };
}

/** The message of an error, or the text of anything thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
