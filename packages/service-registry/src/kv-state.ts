import { RegistryError } from './errors.js';
import type { JsonValue, StoreEntry, StoreEvent, StoreSnapshot, Unsubscribe, WriteOptions } from './store.js';

/** One change inside a committed revision. */
export type StoreOp =
  | { readonly type: 'put'; readonly key: string; readonly value: JsonValue }
  | { readonly type: 'delete'; readonly key: string };

interface Listener {
  readonly prefix: string;
  readonly fn: (event: StoreEvent) => void;
}

/**
 * The in-memory state of a store: entries, the store revision and the listeners. Everything here
 * is synchronous, so taking a snapshot and subscribing happen together — no change can fall
 * between them (the process-compose state broadcaster's rule, without needing a lock).
 * @internal
 */
export class KeyValueState {
  #revision = 0;
  readonly #entries = new Map<string, StoreEntry>();
  readonly #listeners = new Set<Listener>();

  get revision(): number {
    return this.#revision;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  get(key: string): StoreEntry | undefined {
    return this.#entries.get(key);
  }

  list(prefix: string): StoreSnapshot {
    const entries = [...this.#entries.values()].filter((e) => e.key.startsWith(prefix));
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries, revision: this.#revision };
  }

  /** Throws `CONFLICT` when the precondition does not hold now. */
  check(key: string, options: WriteOptions | undefined): void {
    if (options?.ifRevision === undefined) return;
    const current = this.#entries.get(key)?.modRevision ?? 0;
    if (current !== options.ifRevision) {
      const what = current === 0 ? 'does not exist' : `is at revision ${current}`;
      const wanted = options.ifRevision === 0 ? 'to be absent' : `at revision ${options.ifRevision}`;
      throw new RegistryError('CONFLICT', `"${key}" ${what}, expected it ${wanted}`, {
        key,
        revision: current,
      });
    }
  }

  /** Applies a committed revision and tells the listeners. */
  apply(revision: number, ops: readonly StoreOp[]): void {
    this.#revision = revision;
    for (const op of ops) {
      const previous = this.#entries.get(op.key);
      let event: StoreEvent | undefined;
      if (op.type === 'put') {
        const entry: StoreEntry = {
          key: op.key,
          value: op.value,
          createRevision: previous?.createRevision ?? revision,
          modRevision: revision,
        };
        this.#entries.set(op.key, entry);
        event = { type: 'put', entry, revision };
      } else if (previous !== undefined) {
        this.#entries.delete(op.key);
        event = { type: 'delete', key: op.key, previous, revision };
      }
      if (event !== undefined) this.#emit(op.key, event);
    }
  }

  /** Replaces the whole state (after loading a snapshot) and resyncs every listener. */
  reset(revision: number, entries: readonly StoreEntry[]): void {
    this.#revision = revision;
    this.#entries.clear();
    for (const e of entries) this.#entries.set(e.key, e);
    for (const l of this.#listeners) l.fn({ type: 'snapshot', ...this.list(l.prefix) });
  }

  /** Delivers a snapshot of `prefix` to `fn` and subscribes it, in one synchronous step. */
  subscribe(prefix: string, fn: (event: StoreEvent) => void): Unsubscribe {
    const listener: Listener = { prefix, fn };
    fn({ type: 'snapshot', ...this.list(prefix) });
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Ends every listener with `error`. */
  fail(error: Error): void {
    const all = [...this.#listeners];
    this.#listeners.clear();
    for (const l of all) l.fn({ type: 'error', error });
  }

  #emit(key: string, event: StoreEvent): void {
    for (const l of this.#listeners) if (key.startsWith(l.prefix)) l.fn(event);
  }
}
