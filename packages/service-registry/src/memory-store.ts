import { RegistryError } from './errors.js';
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

/**
 * A {@link RegistryStore} in this process's memory: nothing survives the process, nothing is
 * shared with other processes. For tests and for a registry that lives and dies with its daemon.
 *
 * @example
 * const registry = new ServiceRegistry(new MemoryStore());
 */
export class MemoryStore implements RegistryStore {
  readonly #state = new KeyValueState();
  #closed = false;

  async get(key: string): Promise<StoreEntry | undefined> {
    this.#open();
    return this.#state.get(key);
  }

  async list(prefix: string): Promise<StoreSnapshot> {
    this.#open();
    return this.#state.list(prefix);
  }

  async put(key: string, value: JsonValue, options?: WriteOptions): Promise<StoreEntry> {
    const { results } = await this.commit([{ type: 'put', key, value, ...ifRevision(options) }]);
    return results[0]!.entry!;
  }

  async delete(key: string, options?: WriteOptions): Promise<StoreEntry | undefined> {
    const { results } = await this.commit([{ type: 'delete', key, ...ifRevision(options) }]);
    return results[0]!.previous;
  }

  async commit(writes: readonly StoreWrite[]): Promise<CommitResult> {
    this.#open();
    checkBatch(writes);
    const batch = this.#state.prepare(writes);
    if (batch.ops.length > 0) this.#state.apply(this.#state.revision + 1, batch.ops);
    return { revision: this.#state.revision, results: this.#state.results(writes, batch) };
  }

  watch(prefix: string, listener: (event: StoreEvent) => void): Unsubscribe {
    if (this.#closed) {
      listener({ type: 'error', error: closedError() });
      return () => {};
    }
    return this.#state.subscribe(prefix, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#state.fail(closedError());
  }

  #open(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): RegistryError {
  return new RegistryError('CLOSED', 'the store is closed');
}
