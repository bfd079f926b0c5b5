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
 * A bounded FIFO between the socket and one consumer (internal). When full, the oldest item is
 * dropped and counted; the consumer then sees one `{ lagged: n }` before the items that remain.
 * The socket is never paused, so one slow subscription cannot stall the connection's responses.
 */
export class EventQueue<T> {
  readonly #items: Item<T>[] = [];
  readonly #limit: number;
  #head = 0;
  #dropped = 0;
  #done = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: Item<T>): void {
    if (this.#done) return;
    if (this.size >= this.#limit) {
      const oldest = this.#items[this.#head++];
      this.#dropped += oldest !== undefined && 'event' in oldest ? 1 : (oldest?.lagged ?? 0);
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
