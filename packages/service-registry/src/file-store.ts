import type { FSWatcher } from 'node:fs';
import { RegistryError } from './errors.js';
import { FileLog } from './file-log.js';
import { checkBatch, ifRevision, KeyValueState } from './kv-state.js';
import type {
  CommitResult,
  JsonValue,
  RegistryStore,
  StoreEntry,
  StoreEvent,
  StoreSnapshot,
  StoreWrite,
  Unsubscribe,
  WriteOptions,
} from './store.js';

/** Options of {@link FileStore.open}. */
export interface FileStoreOptions {
  /**
   * After this many revisions since the last snapshot, the writer that crosses the mark writes a
   * snapshot and deletes the log files it covers (default 1000; a positive integer).
   */
  readonly compactEvery?: number;
}

/**
 * The embedded, default {@link RegistryStore}: a folder, no server. Several processes may open the
 * same folder at once; each write is a compare-and-swap on the next revision's file name, so no
 * update is lost and no lock can be left behind by a crashed process. A write has reached the disk
 * (file and directory fsynced) when its promise resolves. Watches in any process see writes from
 * every process, woken by `fs.watch` on the log folder. See the README for the full model.
 *
 * @example
 * const store = await FileStore.open('/var/lib/harness/registry');
 * const registry = new ServiceRegistry(store);
 */
export class FileStore implements RegistryStore {
  readonly #log: FileLog;
  readonly #compactEvery: number;
  readonly #state = new KeyValueState();
  #chain: Promise<unknown> = Promise.resolve();
  #lastSnapshot = 0;
  #watchers = 0;
  #fsWatcher: FSWatcher | undefined;
  #catchUpQueued = false;
  #closed = false;

  private constructor(log: FileLog, compactEvery: number) {
    this.#log = log;
    this.#compactEvery = compactEvery;
  }

  /**
   * Opens (creating if needed) the store in `dir` and reads it; rejects with `STORE_CORRUPT`
   * naming the file when a file cannot be read.
   *
   * @example
   * const store = await FileStore.open(join(harnessHome, 'registry'), { compactEvery: 500 });
   */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const compactEvery = options.compactEvery ?? 1000;
    if (!Number.isInteger(compactEvery) || compactEvery < 1) {
      throw new RegistryError(
        'INVALID',
        `compactEvery must be a positive integer, got ${String(compactEvery)}`,
        {
          problems: [`compactEvery: ${String(compactEvery)}`],
        },
      );
    }
    const store = new FileStore(await FileLog.open(dir), compactEvery);
    await store.#exclusive(() => store.#catchUp());
    return store;
  }

  /** The folder this store lives in. */
  get dir(): string {
    return this.#log.dir;
  }

  /** The store revision this process has seen (after the last operation). */
  get revision(): number {
    return this.#state.revision;
  }

  get(key: string): Promise<StoreEntry | undefined> {
    return this.#exclusive(async () => {
      await this.#catchUp();
      return this.#state.get(key);
    });
  }

  list(prefix: string): Promise<StoreSnapshot> {
    return this.#exclusive(async () => {
      await this.#catchUp();
      return this.#state.list(prefix);
    });
  }

  async put(key: string, value: JsonValue, options?: WriteOptions): Promise<StoreEntry> {
    const { results } = await this.commit([{ type: 'put', key, value, ...ifRevision(options) }]);
    return results[0]!.entry!;
  }

  async delete(key: string, options?: WriteOptions): Promise<StoreEntry | undefined> {
    const { results } = await this.commit([{ type: 'delete', key, ...ifRevision(options) }]);
    return results[0]!.previous;
  }

  /**
   * Commits the batch as one log file (one temp file fsynced, one `link`, one fsync of the log
   * folder), however many writes it holds. The preconditions are checked against the last
   * revision on disk; when another process takes the next revision first, the batch is checked
   * again against the new state and retried, or rejected with `CONFLICT` if a precondition no
   * longer holds.
   */
  commit(writes: readonly StoreWrite[]): Promise<CommitResult> {
    try {
      checkBatch(writes);
    } catch (error) {
      return Promise.reject(error);
    }
    const own = [...writes]; // the caller may change its array while the batch waits its turn
    return this.#exclusive(async (): Promise<CommitResult> => {
      for (;;) {
        await this.#catchUp();
        const batch = this.#state.prepare(own);
        if (batch.ops.length === 0) {
          return { revision: this.#state.revision, results: this.#state.results(own, batch) };
        }
        const revision = this.#state.revision + 1;
        // Another writer took the revision: catch up, check again.
        if (!(await this.#log.tryCommit({ revision, ops: batch.ops }))) continue;
        if ((await this.#log.latestSnapshot()) >= revision) {
          // The slot was free only because a compaction had deleted it: our file is stale. Undo, retry.
          await this.#log.removeEntry(revision);
          continue;
        }
        this.#state.apply(revision, batch.ops);
        if (revision - this.#lastSnapshot >= this.#compactEvery) await this.#compact();
        return { revision, results: this.#state.results(own, batch) };
      }
    });
  }

  watch(prefix: string, listener: (event: StoreEvent) => void): Unsubscribe {
    if (this.#closed) {
      listener({ type: 'error', error: closedError() });
      return () => {};
    }
    let unsubscribe: Unsubscribe | undefined;
    let active = true;
    this.#watchers++;
    // Watch the folder before catching up, so a write landing after the catch-up wakes us.
    this.#startFsWatcher();
    this.#exclusive(async () => {
      await this.#catchUp();
      if (active) unsubscribe = this.#state.subscribe(prefix, listener);
    }).catch((error: unknown) => {
      if (active) listener({ type: 'error', error: asError(error) });
    });
    return () => {
      if (!active) return;
      active = false;
      unsubscribe?.();
      this.#watchers--;
      if (this.#watchers === 0) this.#stopFsWatcher();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopFsWatcher();
    await this.#chain.catch(() => {});
    this.#state.fail(closedError());
  }

  /** Runs `fn` after every earlier operation of this instance: one at a time, in call order. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }

  async #compact(): Promise<void> {
    const { entries, revision } = this.#state.list('');
    this.#lastSnapshot = revision;
    await this.#log.compact({ revision, entries });
  }

  /** Brings the in-memory state up to the last revision on disk, telling the listeners. */
  async #catchUp(): Promise<void> {
    for (;;) {
      const top = await this.#log.latestSnapshot();
      if (top > this.#state.revision) {
        const snapshot = await this.#log.readSnapshot(top);
        if (snapshot === undefined) continue; // replaced by a newer one meanwhile
        this.#state.reset(snapshot.revision, snapshot.entries);
      }
      this.#lastSnapshot = Math.max(this.#lastSnapshot, top);
      const batch = [];
      for (let next = this.#state.revision + 1; ; next++) {
        const entry = await this.#log.readEntry(next);
        if (entry === undefined) break;
        batch.push(entry);
      }
      const first = batch[0];
      if (first === undefined) return;
      // A compaction may have run while we read; then the snapshot, not what we read, is the truth.
      if ((await this.#log.latestSnapshot()) >= first.revision) continue;
      for (const entry of batch) this.#state.apply(entry.revision, entry.ops);
      return;
    }
  }

  #startFsWatcher(): void {
    if (this.#fsWatcher !== undefined) return;
    this.#fsWatcher = this.#log.watch(
      () => this.#queueCatchUp(),
      (error) => {
        this.#stopFsWatcher();
        this.#state.fail(error);
      },
    );
  }

  #stopFsWatcher(): void {
    this.#fsWatcher?.close();
    this.#fsWatcher = undefined;
  }

  /** Coalesces file events: at most one catch-up waits in the queue. */
  #queueCatchUp(): void {
    if (this.#catchUpQueued || this.#closed) return;
    this.#catchUpQueued = true;
    this.#exclusive(async () => {
      this.#catchUpQueued = false;
      await this.#catchUp();
    }).catch((error: unknown) => this.#state.fail(asError(error)));
  }
}

function closedError(): RegistryError {
  return new RegistryError('CLOSED', 'the store is closed');
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
