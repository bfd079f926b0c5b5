import { CommandError } from './errors.js';
import type { LaggedEvent } from './events.js';

/** Default number of past events a stream keeps for late readers. */
export const DEFAULT_HISTORY = 1000;
/** Default number of events one reader may have waiting before it lags. */
export const DEFAULT_BUFFER_SIZE = 65_536;

/** Options of {@link SharedEventStream}. */
export interface SharedEventStreamOptions {
  /** Events kept for late readers that ask for the last N (default {@link DEFAULT_HISTORY}, 1000). */
  readonly history?: number;
  /** Events a reader may have waiting before the oldest are dropped for it (default 65 536). */
  readonly bufferSize?: number;
}

/** Options of {@link SharedEventStream.subscribe}. */
export interface SubscribeOptions {
  /**
   * Deliver first up to this many past events still in the history (default 0); `'all'` gives
   * every event the history still holds (all of them while fewer than `history` were pushed).
   */
  readonly replay?: number | 'all';
  /** This reader's bound, overriding the stream's `bufferSize`. */
  readonly bufferSize?: number;
  /** Ends the reader when aborted. */
  readonly signal?: AbortSignal;
}

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
}

/**
 * One reader of a {@link SharedEventStream}: an async iterator with its own bounded queue.
 * When the queue is full the oldest waiting events are dropped and the reader gets one
 * `lagged` event, counting them, just before the first event it still has.
 */
export class EventReader<T> implements AsyncIterableIterator<T | LaggedEvent> {
  #queue: T[] = [];
  #head = 0;
  #dropped = 0;
  #done = false;
  #waiter: Waiter<T | LaggedEvent> | undefined;
  readonly #bound: number;
  #detach: () => void;

  /** @internal */
  constructor(bound: number, initial: readonly T[], detach: () => void) {
    this.#bound = bound;
    this.#detach = detach;
    for (const e of initial) this.offer(e);
  }

  /** Events waiting to be read. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** @internal Called by the stream for every event. Never blocks. */
  offer(event: T): void {
    if (this.#done) return;
    const w = this.#waiter;
    if (w !== undefined && this.pending === 0 && this.#dropped === 0) {
      this.#waiter = undefined;
      w.resolve({ value: event, done: false });
      return;
    }
    if (this.pending >= this.#bound) {
      this.#head++;
      this.#dropped++;
    }
    this.#queue.push(event);
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** @internal The stream calls this when the reader ends, to let go of what it listens to. */
  onEnd(cleanup: () => void): void {
    const detach = this.#detach;
    this.#detach = () => {
      detach();
      cleanup();
    };
  }

  /** @internal Called by the stream when it closes: the reader ends after what it has. */
  finish(): void {
    if (this.#done) return;
    this.#done = true;
    const w = this.#waiter;
    if (w !== undefined && this.pending === 0 && this.#dropped === 0) {
      this.#waiter = undefined;
      this.#release();
      w.resolve({ value: undefined, done: true });
    }
  }

  /** Detaches from the stream and drops listeners, once, when the reader has ended. */
  #release(): void {
    const detach = this.#detach;
    this.#detach = () => undefined;
    detach();
  }

  next(): Promise<IteratorResult<T | LaggedEvent>> {
    if (this.#dropped > 0) {
      const lagged: LaggedEvent = { type: 'lagged', time: Date.now(), dropped: this.#dropped };
      this.#dropped = 0;
      return Promise.resolve({ value: lagged, done: false });
    }
    if (this.pending > 0) {
      const value = this.#queue[this.#head] as T;
      this.#head++;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) {
      this.#release();
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter !== undefined)
      return Promise.reject(new Error('EventReader.next() called concurrently'));
    return new Promise((resolve) => {
      this.#waiter = { resolve };
    });
  }

  /** Stops reading: the reader is detached from its stream and ends. */
  return(): Promise<IteratorResult<T | LaggedEvent>> {
    this.#queue = [];
    this.#head = 0;
    this.#dropped = 0;
    this.#release();
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * A broadcast of events to any number of readers. Pushing never waits: each reader has its own
 * bounded queue, so a slow reader never blocks the producer or the other readers; when it falls
 * more than its bound behind it loses the oldest events and is told so with a `lagged` event.
 * A late reader can ask for the last N events from a bounded history.
 *
 * @example
 * const stream = new SharedEventStream<{ type: 'tick'; n: number }>();
 * const reader = stream.subscribe();
 * stream.push({ type: 'tick', n: 1 });
 * stream.close();
 * for await (const e of reader) console.log(e);
 */
export class SharedEventStream<T> implements AsyncIterable<T | LaggedEvent> {
  readonly #readers = new Set<EventReader<T>>();
  readonly #historySize: number;
  readonly #bufferSize: number;
  #history: T[] = [];
  #closed = false;

  constructor(options: SharedEventStreamOptions = {}) {
    const history = options.history ?? DEFAULT_HISTORY;
    const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    if (!Number.isInteger(history) || history < 0) {
      throw new CommandError(
        'INVALID_OPTION',
        `history must be a whole number ≥ 0, got ${JSON.stringify(options.history)}`,
      );
    }
    checkBufferSize(bufferSize);
    this.#historySize = history;
    this.#bufferSize = bufferSize;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many readers are attached. */
  get readerCount(): number {
    return this.#readers.size;
  }

  /** Sends an event to every reader. Ignored after {@link close}. */
  push(event: T): void {
    if (this.#closed) return;
    if (this.#historySize > 0) {
      this.#history.push(event);
      if (this.#history.length > this.#historySize * 2)
        this.#history = this.#history.slice(-this.#historySize);
    }
    for (const r of this.#readers) r.offer(event);
  }

  /** Ends the stream: readers finish after the events they hold. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#readers) r.finish();
  }

  /** The last `n` events (at most the history size). */
  recent(n: number | 'all' = this.#historySize): T[] {
    const k = n === 'all' ? this.#historySize : Math.min(n, this.#historySize);
    return k <= 0 ? [] : this.#history.slice(-k);
  }

  /** A new reader, starting with the last `replay` events if asked. */
  subscribe(options: SubscribeOptions = {}): EventReader<T> {
    const bound = options.bufferSize ?? this.#bufferSize;
    checkBufferSize(bound);
    const replay = options.replay ?? 0;
    if (replay !== 'all' && !(Number.isInteger(replay) && replay >= 0)) {
      throw new CommandError(
        'INVALID_OPTION',
        `replay must be a whole number ≥ 0 or 'all', got ${JSON.stringify(options.replay)}`,
      );
    }
    const reader: EventReader<T> = new EventReader<T>(bound, this.recent(replay), () =>
      this.#readers.delete(reader),
    );
    if (this.#closed) {
      reader.finish();
      return reader;
    }
    this.#readers.add(reader);
    const { signal } = options;
    if (signal !== undefined) {
      const stop = (): void => void reader.return();
      if (signal.aborted) stop();
      else {
        signal.addEventListener('abort', stop, { once: true });
        reader.onEnd(() => signal.removeEventListener('abort', stop));
      }
    }
    return reader;
  }

  [Symbol.asyncIterator](): EventReader<T> {
    return this.subscribe();
  }
}

function checkBufferSize(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new CommandError(
      'INVALID_OPTION',
      `bufferSize must be a whole number ≥ 1, got ${JSON.stringify(n)}`,
    );
  }
}
