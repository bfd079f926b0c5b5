import { SharedEventStream } from '@harness/command-executor';
import type { LogLine, LogStore } from './log-store.js';

/** Options of a log read. */
export interface LogsOptions {
  /** The last N lines of each instance first (default 0 with follow, else all… capped at 10 000). */
  readonly tail?: number;
  /** Keep going with new lines until `signal` aborts. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  /** Resume after these offsets (`"service.instance"` → byte offset) instead of tailing. */
  readonly since?: Readonly<Record<string, number>>;
}

/** A log line with the time it was read. */
export interface StampedLogLine extends LogLine {
  readonly time: number;
}

/** Lines of several instances' log files: the tails, then (with follow) new lines as written. */
export async function* readLogs(
  store: LogStore,
  files: readonly { service: string; instance: number; file: string }[],
  options: LogsOptions,
): AsyncGenerator<StampedLogLine> {
  const tail = options.tail ?? (options.follow ? 0 : 10_000);
  const starts = new Map<string, number | 'end'>();
  for (const f of files) {
    const key = `${f.service}.${f.instance}`;
    const since = options.since?.[key];
    if (since !== undefined) {
      starts.set(key, since);
      continue;
    }
    const lines = store.tail(f.file, tail);
    for (const l of lines)
      yield { service: f.service, instance: f.instance, line: l.line, offset: l.offset, time: Date.now() };
    const last = lines.at(-1);
    starts.set(key, last === undefined ? 'end' : last.offset);
  }
  if (!options.follow || options.signal?.aborted) return;
  const stream = new SharedEventStream<StampedLogLine>({ history: 0 });
  const reader = stream.subscribe({ ...(options.signal ? { signal: options.signal } : {}) });
  const stops = await Promise.all(
    files.map((f) =>
      store.follow(f.file, starts.get(`${f.service}.${f.instance}`) ?? 'end', (line, offset) =>
        stream.push({ service: f.service, instance: f.instance, line, offset, time: Date.now() }),
      ),
    ),
  );
  // An abort closes the followers at once, even while the consumer is not pulling (a generator
  // paused at a yield would otherwise never reach its finally).
  let stopped: Promise<unknown> | undefined;
  const stopAll = (): Promise<unknown> => {
    stopped ??= Promise.all(stops.map((s) => s())).then(() => stream.close());
    return stopped;
  };
  options.signal?.addEventListener('abort', () => void stopAll(), { once: true });
  try {
    for await (const e of reader) if ('line' in e) yield e;
  } finally {
    await stopAll();
  }
}
