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

/** Longest a reader of a backlog keeps the event loop before it gives other work a turn. */
const TURN_MS = 5;

/** Bytes read from one file per pull. */
const CHUNK = 256 * 1024;

interface Cursor {
  readonly service: string;
  readonly instance: number;
  readonly file: string;
  fd: number | undefined;
  pos: number;
  splitter: LineSplitter;
  /** Inode of `<file>.1` when last looked at (undefined: none): a new one means a rotation. */
  rotated: number | undefined;
  /** Rotated copies still to read before the live file (oldest first), each from `pos`. */
  backlog: { fd: number; pos: number }[];
  /** It starts inside a line: the first line it splits is that line's rest, and is skipped. */
  midLine: boolean;
}

/**
 * Lines of several instances' log files: the tails, then (with `follow`) new lines as they are
 * written, read only as fast as the consumer takes them:
 * the file is the buffer, so a slow reader falls behind without losing a line and a fast
 * writer costs nothing until someone reads. Waits on inotify when every file is at its end.
 * A rotation (the file copied to `.1` and truncated) is noticed by the new `.1`: the lines not
 * read yet are read from the rotated copies first, then the live file from its start. A file
 * that shrank without one was truncated: it is read again from its start.
 */
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
  const signal = options.signal;
  if (!options.follow || signal?.aborted) return;
  // Following (in this same generator: a generator delegating to another costs per line).
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
      const from = starts.get(`${f.service}.${f.instance}`) ?? 'end';
      const pos = from === 'end' ? fstatSync(fd).size : from;
      const rotated = inode(`${f.file}.1`);
      const midLine = pos > 0 && !afterNewline(fd, pos);
      cursors.push({
        ...f,
        fd,
        pos,
        splitter: new LineSplitter(undefined, pos),
        rotated,
        backlog: [],
        midLine,
      });
    }
    const buf = Buffer.allocUnsafe(CHUNK);
    let turn = performance.now();
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
        const n = pull(c, buf);
        if (n === 0) continue;
        read = true;
        const time = Date.now();
        const lines = c.splitter.push(buf.subarray(0, n));
        // Started inside a line (the size of a file being written): its rest is not a line.
        if (c.midLine && lines.length > 0) {
          c.midLine = false;
          lines.shift();
        }
        for (const l of lines) {
          if (signal?.aborted) return;
          yield { service: c.service, instance: c.instance, line: l.line, offset: l.end, time };
        }
      }
      if (read) changed = true;
      // A backlog is read with readSync and handed out through promises that never leave the
      // microtask queue: let timers, sockets and file events have a turn every few ms, so a
      // reader that takes lines as fast as they come never stalls the process it runs in.
      if (read && performance.now() - turn > TURN_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
    }
  } finally {
    signal?.removeEventListener('abort', poke);
    for (const w of watchers) w.close();
    for (const c of cursors) {
      if (c.fd !== undefined) closeSync(c.fd);
      for (const b of c.backlog) closeSync(b.fd);
    }
  }
}

/**
 * Reads the next bytes of a cursor into `buf`: from the rotated copies it has not finished,
 * else from the live file. Returns how many (0: nothing new).
 */
function pull(c: Cursor, buf: Buffer): number {
  noticeRotation(c);
  for (;;) {
    const copy = c.backlog[0];
    if (copy === undefined) break;
    const n = readSync(copy.fd, buf, 0, buf.length, copy.pos);
    if (n > 0) {
      copy.pos += n;
      return n;
    }
    // A copy is done: what follows starts at 0 of the next copy, or of the live file.
    closeSync(copy.fd);
    c.backlog.shift();
    c.splitter = new LineSplitter(undefined, 0);
    c.midLine = false;
  }
  const fd = c.fd as number;
  const size = fstatSync(fd).size;
  if (size < c.pos) {
    c.pos = 0;
    c.splitter = new LineSplitter(undefined, 0);
    c.midLine = false;
  }
  const n = size > c.pos ? readSync(fd, buf, 0, Math.min(buf.length, size - c.pos), c.pos) : 0;
  c.pos += n;
  return n;
}

/**
 * Checks for rotations since the last look (a `<file>.1` with another inode). The copies made
 * since then are `.1` up to the one before the last known `.1`; the oldest of them holds the
 * rest of what was being read (from the cursor's position), the others are read whole, then the
 * live file from its start. A rotation while copies are still being read queues behind them.
 */
function noticeRotation(c: Cursor): void {
  const now = inode(`${c.file}.1`);
  if (now === undefined || now === c.rotated) return;
  const fresh: number[] = [];
  let found = false;
  for (let k = 1; ; k++) {
    let fd: number;
    try {
      fd = openSync(`${c.file}.${k}`, 'r');
    } catch {
      break;
    }
    if (fstatSync(fd).ino === c.rotated) {
      closeSync(fd);
      found = true;
      break;
    }
    fresh.push(fd);
  }
  // The oldest new copy continues the live file as it was being read — unless the last known
  // copy was rotated away meanwhile (more rotations than kept copies): lines are lost then, and
  // the oldest copy left is read from its start.
  const continues = found || c.rotated === undefined;
  c.rotated = now;
  if (fresh.length === 0) return;
  fresh.reverse(); // oldest first
  if (!continues && c.backlog.length === 0) c.splitter = new LineSplitter(undefined, 0);
  if (!continues) c.midLine = false;
  c.backlog.push(...fresh.map((fd, i) => ({ fd, pos: i === 0 && continues ? c.pos : 0 })));
  c.pos = 0;
}

/** Whether the byte before `pos` is a newline (a line starts at `pos`). */
function afterNewline(fd: number, pos: number): boolean {
  const b = Buffer.alloc(1);
  return readSync(fd, b, 0, 1, pos - 1) === 1 && b[0] === 0x0a;
}

function inode(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
