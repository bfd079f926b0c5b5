import {
  closeSync,
  existsSync,
  type FSWatcher,
  fstatSync,
  openSync,
  readSync,
  statSync,
  watch,
} from 'node:fs';
import { LineSplitter } from '@harness/command-executor';
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
    // Follow on from the last line shown — or, with none, from the size before the tail was
    // read: a line written meanwhile is then followed, not skipped.
    const before = fileSize(f.file);
    const lines = store.tail(f.file, tail);
    for (const l of lines)
      yield { service: f.service, instance: f.instance, line: l.line, offset: l.offset, time: Date.now() };
    starts.set(key, lines.at(-1)?.offset ?? before);
  }
  if (!options.follow || options.signal?.aborted) return;
  yield* followFiles(
    files.map((f) => ({ ...f, from: starts.get(`${f.service}.${f.instance}`) ?? 'end' })),
    options.signal,
  );
}

/** Bytes read from one file per pull. */
const CHUNK = 256 * 1024;

interface Cursor {
  readonly service: string;
  readonly instance: number;
  readonly file: string;
  fd: number | undefined;
  pos: number;
  splitter: LineSplitter;
}

/**
 * New lines of log files as they are written, read only as fast as the consumer takes them:
 * the file is the buffer, so a slow reader falls behind without losing a line and a fast
 * writer costs nothing until someone reads. Waits on inotify when every file is at its end.
 * A file that shrank was rotated (copied and truncated): it is read again from its start.
 */
async function* followFiles(
  files: readonly { service: string; instance: number; file: string; from: number | 'end' }[],
  signal: AbortSignal | undefined,
): AsyncGenerator<StampedLogLine> {
  let wake: (() => void) | undefined;
  let changed = true;
  const poke = (): void => {
    changed = true;
    wake?.();
  };
  const watchers: FSWatcher[] = [];
  const cursors: Cursor[] = [];
  signal?.addEventListener('abort', poke, { once: true });
  try {
    for (const f of files) {
      if (!existsSync(f.file)) closeSync(openSync(f.file, 'a'));
      const w = watch(f.file, { persistent: false }, poke);
      w.on('error', () => undefined);
      watchers.push(w);
      const fd = openSync(f.file, 'r');
      const pos = f.from === 'end' ? fstatSync(fd).size : f.from;
      cursors.push({ ...f, fd, pos, splitter: new LineSplitter(undefined, pos) });
    }
    const buf = Buffer.allocUnsafe(CHUNK);
    while (!signal?.aborted) {
      if (!changed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (changed || signal?.aborted) resolve();
        });
        wake = undefined;
        continue;
      }
      changed = false;
      let read = false;
      for (const c of cursors) {
        if (c.fd === undefined) continue;
        const size = fstatSync(c.fd).size;
        if (size < c.pos) {
          c.pos = 0;
          c.splitter = new LineSplitter(undefined, 0);
        }
        const n = size > c.pos ? readSync(c.fd, buf, 0, Math.min(CHUNK, size - c.pos), c.pos) : 0;
        if (n === 0) continue;
        read = true;
        c.pos += n;
        if (c.pos < size) changed = true; // more is there: read on at the next turn
        const time = Date.now();
        for (const l of c.splitter.push(buf.subarray(0, n))) {
          if (signal?.aborted) return;
          yield { service: c.service, instance: c.instance, line: l.line, offset: l.end, time };
        }
      }
      if (read) changed = true;
    }
  } finally {
    signal?.removeEventListener('abort', poke);
    for (const w of watchers) w.close();
    for (const c of cursors) if (c.fd !== undefined) closeSync(c.fd);
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
