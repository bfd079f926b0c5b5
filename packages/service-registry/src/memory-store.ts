import { RegistryError } from './errors.js';
import { KeyValueState } from './kv-state.js';
import type {
  JsonValue,
  RegistryStore,
  StoreEntry,
  StoreEvent,
  StoreSnapshot,
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
    this.#open();
    this.#state.check(key, options);
    this.#state.apply(this.#state.revision + 1, [{ type: 'put', key, value }]);
    return this.#state.get(key)!;
  }

  async delete(key: string, options?: WriteOptions): Promise<StoreEntry | undefined> {
    this.#open();
    this.#state.check(key, options);
    const previous = this.#state.get(key);
    if (previous === undefined) return undefined;
    this.#state.apply(this.#state.revision + 1, [{ type: 'delete', key }]);
    return previous;
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
