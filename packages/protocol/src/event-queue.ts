/** Marks where a subscription lost events: this many were dropped (by the daemon or the client). */
export interface Lagged {
  readonly lagged: number;
}

/**
 * Whether a subscription item is a {@link Lagged} marker rather than an event.
 *
 * @example
 * for await (const item of client.subscribe('events', {})) {
 *   if (isLagged(item)) console.warn(`missed ${item.lagged} events`);
 * }
 */
export function isLagged(item: unknown): item is Lagged {
  return typeof item === 'object' && item !== null && 'lagged' in item && Object.keys(item).length === 1;
}

/** Default bound of a client subscription's queue (items held while the consumer is busy). */
export const DEFAULT_QUEUE_LIMIT = 10_000;

type Item<T> = { readonly event: T } | Lagged;

/**
 * What a lossless {@link EventQueue} tells its feeder: `full` once it holds its limit, `room`
 * once the consumer has taken it down to half (or the queue ended).
 */
export interface QueueFlow {
  full(): void;
  room(): void;
}

/**
 * A bounded FIFO between the socket and one consumer (internal). When full, the oldest item is
 * dropped and counted; the consumer then sees one `{ lagged: n }` before the items that remain.
 * The socket is never paused, so one slow subscription cannot stall the connection's responses.
 *
 * With a {@link QueueFlow} it is lossless instead: nothing is dropped, and the feeder is told
 * `full` at the limit (it stops reading the socket) and `room` at half of it.
 */
export class EventQueue<T> {
  readonly #items: Item<T>[] = [];
  readonly #limit: number;
  readonly #flow: QueueFlow | undefined;
  #full = false;
  #head = 0;
  #dropped = 0;
  #done = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  constructor(limit: number, flow?: QueueFlow) {
    this.#limit = limit;
    this.#flow = flow;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: Item<T>): void {
    if (this.#done) return;
    if (this.size >= this.#limit) {
      if (this.#flow !== undefined) {
        if (!this.#full) {
          this.#full = true;
          this.#flow.full();
        }
      } else {
        const oldest = this.#items[this.#head++];
        this.#dropped += oldest !== undefined && 'event' in oldest ? 1 : (oldest?.lagged ?? 0);
      }
    }
    this.#items.push(item);
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    this.#notify();
  }

  /** No more items; with an error, the consumer gets it after the items that are queued. */
  end(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#notify();
  }

  /** Drops everything and ends now (the consumer stopped). */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
    this.#dropped = 0;
    this.#error = undefined;
    this.end();
    this.#roomIfFull();
  }

  /** Tells the feeder there is room again, if it was told the queue is full. */
  #roomIfFull(): void {
    if (!this.#full) return;
    this.#full = false;
    this.#flow?.room();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The next event or lagged marker; `undefined` at the end; rejects with the end's error. */
  async next(): Promise<T | Lagged | undefined> {
    for (;;) {
      if (this.#dropped > 0) {
        const lagged = this.#dropped;
        this.#dropped = 0;
        return { lagged };
      }
      const item = this.#items[this.#head];
      if (item !== undefined) {
        this.#items[this.#head++] = undefined as unknown as Item<T>;
        if (this.#head === this.#items.length) {
          this.#items.length = 0;
          this.#head = 0;
        }
        if (this.#full && this.size * 2 <= this.#limit) this.#roomIfFull();
        return 'event' in item ? item.event : item;
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return undefined;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
