import {
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  closeSync,
  fstatSync,
  ftruncateSync,
  renameSync,
  statSync,
  truncateSync,
  writeSync,
  type FSWatcher,
  watch,
} from 'node:fs';
import { join } from 'node:path';
import { LineSplitter } from '@harness/command-executor';

/** Bounds of the per-instance log files. */
export interface LogLimits {
  /**
   * Size in bytes at which a log file is rotated (default 10 MiB); 0 means never: the file is
   * not watched at all and grows without bound.
   */
  readonly maxBytes: number;
  /** Rotated files kept: `x.log.1` … `x.log.N` (default 3); 0 keeps none (the file is emptied). */
  readonly keep: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxBytes: 10 * 1024 * 1024, keep: 3 };

/** One line of a service's log. */
export interface LogLine {
  readonly service: string;
  readonly instance: number;
  readonly line: string;
  /** Byte offset just past the line in its instance's log file: a cursor to resume from. */
  readonly offset: number;
}

/**
 * The log files of a stack's instances, `<dir>/<stack>/<service>.<n>.log`, with stdout and
 * stderr of an instance appended to one file in the order written.
 */
export class LogStore {
  readonly dir: string;
  readonly limits: LogLimits;

  constructor(dir: string, limits: LogLimits = DEFAULT_LOG_LIMITS) {
    this.dir = dir;
    this.limits = limits;
  }

  /** The log file of one instance (its folder is made). */
  file(stack: string, service: string, instance: number): string {
    const d = join(this.dir, stack);
    mkdirSync(d, { recursive: true });
    return join(d, `${service}.${instance}.log`);
  }

  /**
   * Rotates a log file that grew past the bound (the store's limits unless others are given):
   * shifts `.1…` up, copies the file to `.1` and truncates it in place (the process keeps its
   * append-mode descriptor, so it goes on writing at the new end). Returns whether it rotated;
   * with `maxBytes` 0 it never does.
   */
  rotateIfNeeded(file: string, size: number, limits: LogLimits = this.limits): boolean {
    if (limits.maxBytes === 0 || size < limits.maxBytes) return false;
    // `size` is what a reader saw, maybe before a rotation it has not caught up with: only the
    // file's size now decides, or lines still queued would rotate the fresh file again.
    if (!existsSync(file) || statSync(file).size < limits.maxBytes) return false;
    for (let i = limits.keep - 1; i >= 1; i--) {
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    }
    if (limits.keep >= 1) copyThenTruncate(file, `${file}.1`);
    else truncateSync(file, 0);
    return true;
  }

  /**
   * Keeps a log file within its bound while a process writes to it: every change of the file
   * (inotify) schedules one size check — a burst of writes costs one check per turn of the
   * event loop, an idle file costs nothing — and a file past the bound is rotated. `limits`
   * are the file's own (a service's), the store's by default; with `maxBytes` 0 nothing is
   * watched at all. Returns a function that ends the guard.
   */
  guard(file: string, limits: LogLimits = this.limits): () => void {
    if (limits.maxBytes === 0) return () => {};
    let scheduled = false;
    const check = (): void => {
      scheduled = false;
      try {
        this.rotateIfNeeded(file, statSync(file).size, limits);
      } catch {
        // gone or unreadable: the next change checks again
      }
    };
    let watcher: FSWatcher;
    try {
      watcher = watch(file, { persistent: false }, () => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(check);
      });
    } catch {
      return () => {};
    }
    watcher.on('error', () => watcher.close());
    check();
    return () => watcher.close();
  }

  /** The last `n` lines of an instance's log file, with their offsets. */
  tail(file: string, n: number): { line: string; offset: number }[] {
    if (n <= 0 || !existsSync(file)) return [];
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      let start = size;
      let newlines = 0;
      const chunk = Buffer.allocUnsafe(64 * 1024);
      while (start > 0 && newlines <= n) {
        const len = Math.min(chunk.length, start);
        start -= len;
        readSync(fd, chunk, 0, len, start);
        for (let i = len - 1; i >= 0; i--) if (chunk[i] === 0x0a) newlines++;
      }
      const buf = Buffer.allocUnsafe(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const splitter = new LineSplitter(undefined, start);
      const lines = [...splitter.push(buf), ...splitter.flush()];
      return lines.slice(-n).map((l) => ({ line: l.line, offset: l.end }));
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Copies `file` to `copy` and empties it, losing as little as can be of what a writer appends
 * meanwhile. The process writes straight to the file (no pipe through the daemon), so the copy
 * cannot be atomic; after the bulk copy, what was appended during it is copied too, round after
 * round, and the file is truncated the moment a read finds its end — what is lost is only what
 * lands between that read and the truncate (microseconds), not the writes of a whole copy.
 */
function copyThenTruncate(file: string, copy: string): void {
  copyFileSync(file, copy);
  const src = openSync(file, 'r+');
  const out = openSync(copy, 'a');
  try {
    let copied = fstatSync(out).size;
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const n = readSync(src, chunk, 0, chunk.length, copied);
      if (n === 0) break;
      writeSync(out, chunk, 0, n);
      copied += n;
    }
    ftruncateSync(src, 0);
  } finally {
    closeSync(src);
    closeSync(out);
  }
}
