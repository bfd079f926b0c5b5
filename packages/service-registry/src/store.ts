/**
 * The key-value contract under {@link ServiceRegistry}. It is shaped after etcd's data model so a
 * distributed backend can implement it directly: one store-wide, strictly increasing `revision`
 * bumped by every committed write; each entry carries the revision that created it and the one
 * that last modified it; writes take an optional compare on the key's `modRevision` (a
 * compare-and-swap transaction), and a batch of writes to several keys commits as one revision,
 * all or nothing (an etcd `Txn`); a watch on a key prefix starts from a snapshot taken at a
 * revision and continues with every later change, in order.
 */

/** A JSON value as stored. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One key and its value at some revision. */
export interface StoreEntry {
  readonly key: string;
  readonly value: JsonValue;
  /** The revision of the write that created the key (etcd `create_revision`). */
  readonly createRevision: number;
  /** The revision of the last write to the key (etcd `mod_revision`). */
  readonly modRevision: number;
}

/** The entries under a prefix, sorted by key, as of `revision`. */
export interface StoreSnapshot {
  readonly entries: readonly StoreEntry[];
  readonly revision: number;
}

/** A precondition on a write: the key's current `modRevision` must equal it; `0` means "absent". */
export interface WriteOptions {
  readonly ifRevision?: number;
}

/**
 * One write of a {@link RegistryStore.commit} batch: a put or a delete of one key, with an optional
 * compare on the key's `modRevision` before the batch (`0` meaning "absent"), as in
 * {@link WriteOptions}. (etcd: a `Txn` whose compares are `mod_revision(key) = ifRevision` and whose
 * success branch holds the puts and deletes.)
 */
export type StoreWrite =
  | {
      readonly type: 'put';
      readonly key: string;
      readonly value: JsonValue;
      readonly ifRevision?: number;
    }
  | { readonly type: 'delete'; readonly key: string; readonly ifRevision?: number };

/** What one {@link StoreWrite} did, in the order of the batch. */
export interface StoreWriteResult {
  readonly key: string;
  /** The entry before the batch, or `undefined` when the key was absent. */
  readonly previous: StoreEntry | undefined;
  /** The entry after the batch: the one written by a put, `undefined` after a delete. */
  readonly entry: StoreEntry | undefined;
}

/** What {@link RegistryStore.commit} resolves to. */
export interface CommitResult {
  /**
   * The revision of the batch, shared by every entry it wrote; when nothing changed (an empty
   * batch, or only deletes of absent keys) no revision is made and this is the current one.
   */
  readonly revision: number;
  /** One per write, in order. */
  readonly results: readonly StoreWriteResult[];
}

/**
 * What a store watch delivers. The first event is always a `snapshot`; after it, every change
 * under the prefix with a higher revision, in revision order, with none left out and none twice.
 * A later `snapshot` is a resync: the store could not tell what happened in between (e.g. it was
 * compacted past the watcher's position) and this is the full state now. An `error` ends the watch.
 */
export type StoreEvent =
  | { readonly type: 'snapshot'; readonly entries: readonly StoreEntry[]; readonly revision: number }
  | { readonly type: 'put'; readonly entry: StoreEntry; readonly revision: number }
  | {
      readonly type: 'delete';
      readonly key: string;
      readonly previous: StoreEntry;
      readonly revision: number;
    }
  | { readonly type: 'error'; readonly error: Error };

/** Stops a store watch; calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * A revisioned key-value store. Implementations: {@link MemoryStore}, {@link FileStore}.
 *
 * Keys are `/`-separated paths; a prefix selects a subtree (`'services/shop/'`).
 *
 * @example
 * const store = new MemoryStore();
 * const a = await store.put('k', { n: 1 }, { ifRevision: 0 });      // create only
 * await store.put('k', { n: 2 }, { ifRevision: a.modRevision });    // compare-and-swap
 * const stop = store.watch('', (event) => console.log(event.type)); // 'snapshot', then changes
 * await store.commit([                                              // one revision, all or nothing
 *   { type: 'put', key: 'a', value: 1, ifRevision: 0 },
 *   { type: 'delete', key: 'k' },
 * ]);
 * stop();
 */
export interface RegistryStore {
  /** The entry at `key`, or `undefined`. Sees every write completed before the call, from any process. */
  get(key: string): Promise<StoreEntry | undefined>;
  /** The entries whose key starts with `prefix`, sorted by key, and the revision they are taken at. */
  list(prefix: string): Promise<StoreSnapshot>;
  /** Writes `value` at `key`; rejects with `CONFLICT` (carrying the current revision) when `ifRevision` does not match. */
  put(key: string, value: JsonValue, options?: WriteOptions): Promise<StoreEntry>;
  /** Removes `key`; resolves to the removed entry or `undefined` when absent (unless `ifRevision` is given: then `CONFLICT`). */
  delete(key: string, options?: WriteOptions): Promise<StoreEntry | undefined>;
  /**
   * Applies every write of `writes` as ONE revision, all or nothing. Every `ifRevision` is checked
   * against the state before the batch; if any fails, nothing is written and the call rejects with
   * `CONFLICT` naming the first key that failed and its current revision. A key may appear once
   * (`INVALID` otherwise). A delete of an absent key without `ifRevision` changes nothing. Watchers
   * get one `put` or `delete` event per change, in the batch's order, all with the batch's
   * revision, and never see part of a batch: the whole revision is applied before the first
   * event. `put` and `delete` are one-write batches.
   */
  commit(writes: readonly StoreWrite[]): Promise<CommitResult>;
  /** Watches a prefix; see {@link StoreEvent} for the guarantees. The listener must not throw. */
  watch(prefix: string, listener: (event: StoreEvent) => void): Unsubscribe;
  /** Releases resources; pending watches end. Later calls reject with `CLOSED`. */
  close(): Promise<void>;
}
