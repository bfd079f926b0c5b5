import { RegistryError } from './errors.js';
import type {
  JsonValue,
  StoreEntry,
  StoreEvent,
  StoreSnapshot,
  StoreWrite,
  StoreWriteResult,
  Unsubscribe,
  WriteOptions,
} from './store.js';

/** One change inside a committed revision. */
export type StoreOp =
  | { readonly type: 'put'; readonly key: string; readonly value: JsonValue }
  | { readonly type: 'delete'; readonly key: string };

/** A batch checked against the current state: what to commit, and each key's entry before it. */
export interface PreparedBatch {
  /** The changes to commit (deletes of absent keys left out); empty when nothing would change. */
  readonly ops: readonly StoreOp[];
  readonly previous: ReadonlyArray<StoreEntry | undefined>;
}

/**
 * Throws `INVALID` listing every problem with the shape of a batch: a key that is not a non-empty
 * string or appears twice, an unknown write type, a put without a value, an `ifRevision` that is
 * not a non-negative integer.
 */
export function checkBatch(writes: readonly StoreWrite[]): void {
  const problems: string[] = [];
  if (!Array.isArray(writes)) {
    problems.push(`a batch is an array of writes, got ${typeof writes}`);
  } else {
    const seen = new Set<string>();
    writes.forEach((write: StoreWrite, i) => {
      const at = `writes[${i}]`;
      if (typeof write !== 'object' || write === null) {
        problems.push(`${at} must be { type, key, ... }, got ${String(write)}`);
        return;
      }
      // Checked as unknown: callers in plain JavaScript can pass anything.
      const w: { readonly [field: string]: unknown } = write;
      if (w.type !== 'put' && w.type !== 'delete') {
        problems.push(`${at}.type must be "put" or "delete", got ${JSON.stringify(w.type)}`);
      }
      if (typeof w.key !== 'string' || w.key === '') {
        problems.push(`${at}.key must be a non-empty string, got ${JSON.stringify(w.key)}`);
      } else if (seen.has(w.key)) {
        problems.push(`${at}.key "${w.key}" is written twice in one batch`);
      } else {
        seen.add(w.key);
      }
      if (w.type === 'put' && w.value === undefined) problems.push(`${at}.value is missing`);
      const r = w.ifRevision;
      if (r !== undefined && !(Number.isInteger(r) && (r as number) >= 0)) {
        problems.push(`${at}.ifRevision must be a non-negative integer, got ${JSON.stringify(r)}`);
      }
    });
  }
  if (problems.length > 0) {
    throw new RegistryError('INVALID', `invalid batch: ${problems.join('; ')}`, { problems });
  }
}

/** The precondition of `options` as fields of a {@link StoreWrite} (none when there is none). */
export function ifRevision(options: WriteOptions | undefined): WriteOptions {
  return options?.ifRevision === undefined ? {} : { ifRevision: options.ifRevision };
}

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

  /**
   * Checks every precondition of a batch (shape checked by {@link checkBatch}) against the current
   * state: `CONFLICT` for the first that does not hold, before anything is written.
   */
  prepare(writes: readonly StoreWrite[]): PreparedBatch {
    for (const w of writes) this.check(w.key, w);
    const previous = writes.map((w) => this.#entries.get(w.key));
    const ops: StoreOp[] = [];
    writes.forEach((w, i) => {
      if (w.type === 'put') ops.push({ type: 'put', key: w.key, value: w.value });
      else if (previous[i] !== undefined) ops.push({ type: 'delete', key: w.key });
    });
    return { ops, previous };
  }

  /** What each write of a prepared batch did, once it is applied. */
  results(writes: readonly StoreWrite[], batch: PreparedBatch): StoreWriteResult[] {
    return writes.map((w, i) => ({
      key: w.key,
      previous: batch.previous[i],
      entry: w.type === 'put' ? this.#entries.get(w.key) : undefined,
    }));
  }

  /**
   * Applies a committed revision, then tells the listeners: one event per change, in order, all
   * with `revision`. The whole revision is in place before the first event, so a listener never
   * sees part of it.
   */
  apply(revision: number, ops: readonly StoreOp[]): void {
    this.#revision = revision;
    const events: Array<Extract<StoreEvent, { type: 'put' | 'delete' }>> = [];
    for (const op of ops) {
      const previous = this.#entries.get(op.key);
      if (op.type === 'put') {
        const entry: StoreEntry = {
          key: op.key,
          value: op.value,
          createRevision: previous?.createRevision ?? revision,
          modRevision: revision,
        };
        this.#entries.set(op.key, entry);
        events.push({ type: 'put', entry, revision });
      } else if (previous !== undefined) {
        this.#entries.delete(op.key);
        events.push({ type: 'delete', key: op.key, previous, revision });
      }
    }
    for (const event of events) this.#emit(event);
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

  #emit(event: Extract<StoreEvent, { type: 'put' | 'delete' }>): void {
    const key = event.type === 'put' ? event.entry.key : event.key;
    for (const l of this.#listeners) if (key.startsWith(l.prefix)) l.fn(event);
  }
}
