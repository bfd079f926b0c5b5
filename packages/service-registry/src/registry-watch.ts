import { RegistryError } from './errors.js';
import { matches } from './records.js';
import type { StoreEntry, StoreEvent, Unsubscribe } from './store.js';
import type { ServiceFilter, ServiceRecord } from './types.js';

/**
 * What a registry watch yields. First the records matching the filter, as `put`s, then `synced`;
 * from then on every change, live. A `delete` also means "left the filter" (e.g. a watch on
 * `state: 'healthy'` gets a `delete` when the instance turns `unhealthy`; `record` is then its new
 * value). `lagged` means the reader fell more than the bound behind: what was queued was dropped,
 * and the `put`s/`delete`s up to the next `synced` bring the reader's view back to the current state.
 */
export type RegistryChange =
  | { readonly type: 'put'; readonly record: ServiceRecord; readonly revision: number }
  | { readonly type: 'delete'; readonly record: ServiceRecord; readonly revision: number }
  | { readonly type: 'synced'; readonly revision: number }
  | { readonly type: 'lagged'; readonly dropped: number };

/** Options of {@link ServiceRegistry.watch}. */
export interface WatchOptions {
  /** Ends the watch when aborted (the iteration finishes normally). */
  readonly signal?: AbortSignal;
  /**
   * How many store changes may wait for this reader before it is marked `lagged` (default 10000).
   * A snapshot replaces everything waiting before it, so it needs one slot.
   */
  readonly bufferSize?: number;
}

/** The default {@link WatchOptions.bufferSize}. */
export const DEFAULT_WATCH_BUFFER = 10_000;

/**
 * An async iterator over the changes of a filtered set of records; see {@link RegistryChange}.
 * Store changes are queued as they come (never blocking writers) and turned into changes as they
 * are read, against the view this reader has been given so far.
 */
export class RegistryWatch implements AsyncIterableIterator<RegistryChange> {
  readonly #subscribe: (listener: (event: StoreEvent) => void) => Unsubscribe;
  readonly #decode: (entry: StoreEntry) => ServiceRecord;
  readonly #filter: ServiceFilter;
  readonly #bound: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => void this.return();
  #raw: Array<Exclude<StoreEvent, { type: 'error' }>> = [];
  #ready: RegistryChange[] = [];
  readonly #view = new Map<string, ServiceRecord>();
  #dropped = 0;
  #lagged = false;
  #error: Error | undefined;
  #done = false;
  #unsubscribe: Unsubscribe | undefined;
  #waiters: Array<() => void> = [];

  /** @internal */
  constructor(
    subscribe: (listener: (event: StoreEvent) => void) => Unsubscribe,
    decode: (entry: StoreEntry) => ServiceRecord,
    filter: ServiceFilter,
    options: WatchOptions,
  ) {
    this.#subscribe = subscribe;
    this.#decode = decode;
    this.#filter = filter;
    this.#bound = options.bufferSize ?? DEFAULT_WATCH_BUFFER;
    this.#signal = options.signal;
    if (this.#signal?.aborted) {
      this.#done = true;
      return;
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#unsubscribe = this.#subscribe((e) => this.#offer(e));
  }

  /** Store changes waiting to be read (at most the bound). */
  get pending(): number {
    return this.#raw.length;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<RegistryChange>> {
    for (;;) {
      const change = this.#ready.shift();
      if (change !== undefined) return { value: change, done: false };
      if (this.#done) return { value: undefined, done: true };
      if (this.#error !== undefined) {
        const error = this.#error;
        this.#finish();
        throw error;
      }
      if (this.#lagged) {
        const dropped = this.#dropped;
        this.#lagged = false;
        this.#dropped = 0;
        this.#unsubscribe = this.#subscribe((e) => this.#offer(e));
        return { value: { type: 'lagged', dropped }, done: false };
      }
      const event = this.#raw.shift();
      if (event !== undefined) this.#translate(event);
      else await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Ends the watch; later `next()` calls return `done`. */
  async return(): Promise<IteratorResult<RegistryChange>> {
    this.#finish();
    this.#ready = [];
    return { value: undefined, done: true };
  }

  #finish(): void {
    this.#done = true;
    this.#raw = [];
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Called by the store for every event; never blocks and never throws. */
  #offer(event: StoreEvent): void {
    if (this.#done || this.#lagged) return;
    if (event.type === 'error') {
      // A closed store ends the watch quietly; anything else is reported to the reader.
      if (event.error instanceof RegistryError && event.error.code === 'CLOSED') this.#finish();
      else this.#error = event.error;
    } else if (event.type === 'snapshot') {
      this.#raw = [event]; // the snapshot supersedes everything queued before it
    } else if (this.#raw.length >= this.#bound) {
      this.#dropped += this.#raw.length + 1;
      this.#raw = [];
      this.#lagged = true;
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
    } else {
      this.#raw.push(event);
    }
    this.#wake();
  }

  #translate(event: Exclude<StoreEvent, { type: 'error' }>): void {
    if (event.type === 'snapshot') {
      const now = new Map<string, ServiceRecord>();
      for (const entry of event.entries) {
        const record = this.#decode(entry);
        if (matches(record, this.#filter)) now.set(entry.key, record);
      }
      for (const [key, record] of this.#view) {
        if (!now.has(key)) this.#ready.push({ type: 'delete', record, revision: event.revision });
      }
      for (const [key, record] of now) {
        if (this.#view.get(key)?.revision !== record.revision) {
          this.#ready.push({ type: 'put', record, revision: record.revision });
        }
      }
      this.#view.clear();
      for (const [key, record] of now) this.#view.set(key, record);
      this.#ready.push({ type: 'synced', revision: event.revision });
    } else if (event.type === 'put') {
      const record = this.#decode(event.entry);
      if (matches(record, this.#filter)) {
        this.#view.set(event.entry.key, record);
        this.#ready.push({ type: 'put', record, revision: event.revision });
      } else if (this.#view.delete(event.entry.key)) {
        this.#ready.push({ type: 'delete', record, revision: event.revision });
      }
    } else {
      const record = this.#view.get(event.key);
      if (record !== undefined) {
        this.#view.delete(event.key);
        this.#ready.push({ type: 'delete', record, revision: event.revision });
      }
    }
  }
}
