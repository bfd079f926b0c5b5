import type { StampedLogLine } from '@harness/service-orchestration';

/**
 * Consecutive lines of one instance's log in one event: what a `logs` subscription opened with
 * `wait: true` sends instead of one event per line. {@link HarnessClient} hands them out line by
 * line again (see {@link expandLogBatch}).
 */
export interface LogBatch {
  readonly service: string;
  readonly instance: number;
  /** When the first line was read (ms since the epoch); the lines of a batch share it. */
  readonly time: number;
  readonly lines: readonly string[];
  /**
   * Where each line ends in the instance's log file: the first entry is the byte offset just past
   * the first line, each further one how many bytes further the next line ends.
   */
  readonly ends: readonly number[];
}

/** Lines a batch holds at most. */
export const BATCH_MAX_LINES = 4096;

/** Characters of lines a batch holds at most (a longer line is a batch of its own). */
export const BATCH_MAX_CHARS = 64 * 1024;

/**
 * Whether an event is a {@link LogBatch}.
 *
 * @example
 * if (isLogBatch(event)) console.log(event.lines.length);
 */
export function isLogBatch(event: unknown): event is LogBatch {
  if (typeof event !== 'object' || event === null) return false;
  const b = event as Partial<Record<keyof LogBatch, unknown>>;
  return (
    typeof b.service === 'string' &&
    typeof b.instance === 'number' &&
    typeof b.time === 'number' &&
    Array.isArray(b.lines) &&
    Array.isArray(b.ends) &&
    b.lines.length === b.ends.length
  );
}

/**
 * The lines of a {@link LogBatch}, each as the `StampedLogLine` a line-by-line read gives.
 *
 * @example
 * for (const line of expandLogBatch(batch)) console.log(line.offset, line.line);
 */
export function expandLogBatch(batch: LogBatch): StampedLogLine[] {
  const out: StampedLogLine[] = new Array(batch.lines.length);
  const { service, instance, time, lines, ends } = batch;
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    offset += ends[i] as number;
    out[i] = { service, instance, line: lines[i] as string, offset, time };
  }
  return out;
}

/** A batch being gathered (internal). */
class Gathering {
  readonly service: string;
  readonly instance: number;
  readonly time: number;
  readonly lines: string[] = [];
  readonly ends: number[] = [];
  chars = 0;
  #last = 0;

  constructor(first: StampedLogLine) {
    this.service = first.service;
    this.instance = first.instance;
    this.time = first.time;
  }

  takes(l: StampedLogLine): boolean {
    return l.service === this.service && l.instance === this.instance;
  }

  add(l: StampedLogLine): void {
    this.lines.push(l.line);
    this.ends.push(l.offset - this.#last);
    this.#last = l.offset;
    this.chars += l.line.length;
  }

  get full(): boolean {
    return this.lines.length >= BATCH_MAX_LINES || this.chars >= BATCH_MAX_CHARS;
  }

  done(): LogBatch {
    const { service, instance, time, lines, ends } = this;
    return { service, instance, time, lines, ends };
  }
}

/**
 * Log lines as {@link LogBatch}es: consecutive lines of one instance go together, as many as the
 * source has ready (a batch goes out once the source would wait, or at {@link BATCH_MAX_LINES}
 * lines or {@link BATCH_MAX_CHARS} characters). Lines are pulled only while a batch is asked
 * for, so a source that reads at its reader's pace keeps doing so. Closing it closes the source
 * (after a pull under way settles: the source must end once its signal aborts).
 *
 * @example
 * for await (const batch of batchLogLines(worker.logs('shop', ['api'], { follow: true, signal }))) send(batch);
 */
export function batchLogLines(lines: AsyncIterable<StampedLogLine>): AsyncIterableIterator<LogBatch> {
  return new Batcher(lines[Symbol.asyncIterator]());
}

interface Waiter {
  resolve(result: IteratorResult<LogBatch>): void;
  reject(error: unknown): void;
}

/**
 * The iterator of {@link batchLogLines} (internal). Not an async generator: while it waits on
 * the source with lines gathered, the turn of the event loop (the source had nothing more ready)
 * hands them out, and the pull under way goes on into the next batch.
 */
class Batcher implements AsyncIterableIterator<LogBatch> {
  readonly #source: AsyncIterator<StampedLogLine>;
  #batch: Gathering | undefined;
  /** A batch complete before it was asked for (a line of another instance closed it). */
  #ready: LogBatch | undefined;
  #waiter: Waiter | undefined;
  #pulling = false;
  #idleScheduled = false;
  #done = false;
  #error: { readonly error: unknown } | undefined;
  /** Closed while a pull was under way: the source is closed once it settles. */
  #closeAfterPull = false;

  constructor(source: AsyncIterator<StampedLogLine>) {
    this.#source = source;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LogBatch> {
    return this;
  }

  next(): Promise<IteratorResult<LogBatch>> {
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#serve();
    });
  }

  async return(): Promise<IteratorResult<LogBatch>> {
    this.#finish();
    if (this.#pulling) this.#closeAfterPull = true;
    else await this.#source.return?.();
    return { done: true, value: undefined };
  }

  /** Answers the waiting `next()` if it can, else pulls on. */
  #serve(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.#ready !== undefined) {
      const ready = this.#ready;
      this.#ready = undefined;
      this.#waiter = undefined;
      waiter.resolve({ done: false, value: ready });
      return;
    }
    if (this.#batch?.full === true) {
      this.#hand();
      return;
    }
    if (this.#done) {
      if (this.#batch !== undefined) {
        this.#hand();
        return;
      }
      this.#waiter = undefined;
      if (this.#error !== undefined) waiter.reject(this.#error.error);
      else waiter.resolve({ done: true, value: undefined });
      return;
    }
    if (this.#pulling) return;
    this.#pulling = true;
    this.#source.next().then(
      (r) => this.#pulled(r),
      (error: unknown) => {
        this.#pulling = false;
        this.#error = { error };
        this.#finish();
      },
    );
    if (this.#batch !== undefined && !this.#idleScheduled) {
      this.#idleScheduled = true;
      setImmediate(() => {
        this.#idleScheduled = false;
        // Still waiting on the source with lines gathered: they go now.
        if (this.#pulling && this.#batch !== undefined && this.#waiter !== undefined) this.#hand();
      });
    }
  }

  #pulled(r: IteratorResult<StampedLogLine>): void {
    this.#pulling = false;
    if (this.#closeAfterPull) {
      void Promise.resolve(this.#source.return?.()).catch(() => {});
      return;
    }
    if (r.done === true) {
      this.#finish();
      return;
    }
    const line = r.value;
    if (this.#batch !== undefined && !this.#batch.takes(line)) {
      this.#ready = this.#batch.done();
      this.#batch = undefined;
    }
    this.#batch ??= new Gathering(line);
    this.#batch.add(line);
    if (this.#batch.full && this.#ready === undefined) {
      this.#ready = this.#batch.done();
      this.#batch = undefined;
    }
    this.#serve();
  }

  /** Hands the batch being gathered to the waiting `next()`. */
  #hand(): void {
    const batch = this.#batch as Gathering;
    const waiter = this.#waiter as Waiter;
    this.#batch = undefined;
    this.#waiter = undefined;
    waiter.resolve({ done: false, value: batch.done() });
  }

  /** No more lines: what is gathered still goes out, then the end (or the error). */
  #finish(): void {
    this.#done = true;
    this.#serve();
  }
}
