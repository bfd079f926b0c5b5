import { RegistryError } from './errors.js';
import { FileStore, type FileStoreOptions } from './file-store.js';
import {
  HOSTS,
  nameProblem,
  parseServiceKey,
  SERVICES,
  type ServiceKeyParts,
  serviceKey,
  servicePrefix,
} from './keys.js';
import { MemoryStore } from './memory-store.js';
import { decodeHost, decodeService, encodeHost, encodeService, matches } from './records.js';
import { RegistryWatch, type WatchOptions } from './registry-watch.js';
import { resolveAddress } from './resolve.js';
import type { RegistryStore, StoreWrite } from './store.js';
import type {
  HostRecord,
  HostRegistration,
  ResolvedAddress,
  ServiceFilter,
  ServicePatch,
  ServiceRecord,
  ServiceRef,
  ServiceRegistration,
} from './types.js';
import { hostProblems, registrationProblems, throwIfProblems } from './validate.js';

/** A service instance, by key (`'shop/api/0'`) or by parts. */
export type ServiceKeyLike = string | ServiceKeyParts;

/** A compare-and-swap precondition: the record's current `revision` must equal it. */
export interface RevisionOptions {
  readonly revision?: number;
}

/** Options of {@link ServiceRegistry.register}. */
export interface RegisterOptions {
  /** Overwrite an existing record instead of failing with `CONFLICT`. */
  readonly replace?: boolean;
}

/**
 * One change of {@link ServiceRegistry.apply}: `register` an instance (as
 * {@link ServiceRegistry.register}: `CONFLICT` if its key is taken, unless `replace`), or
 * `deregister` one (as {@link ServiceRegistry.deregister}: nothing to do if it is not registered;
 * with `revision`, only if the record is still at that revision).
 */
export type RecordOp =
  | { readonly register: ServiceRegistration; readonly replace?: boolean }
  | { readonly deregister: ServiceKeyLike; readonly revision?: number };

/** What {@link ServiceRegistry.apply} resolves to. */
export interface ApplyResult {
  /**
   * The store revision of the batch: every record it wrote carries it. When nothing changed (no
   * ops, or only deregisters of instances not registered), the current revision.
   */
  readonly revision: number;
  /**
   * One per op, in order: for a `register`, the record as written; for a `deregister`, the removed
   * record, or `undefined` if it was not registered.
   */
  readonly records: ReadonlyArray<ServiceRecord | undefined>;
}

/** A patch, or a function computing one from the current record (re-run on concurrent writes). */
export type PatchLike = ServicePatch | ((current: ServiceRecord) => ServicePatch);

/** How many times `update` re-reads and re-applies a patch after losing a race, when no revision was given. */
const MAX_UPDATE_ATTEMPTS = 1000;

function toKey(key: ServiceKeyLike): string {
  if (typeof key === 'string') {
    parseServiceKey(key);
    return key;
  }
  return serviceKey(key);
}

/**
 * Who runs where: service instance records, the hosts they run on, watches over both, and
 * topology-aware resolution of service references. All state lives in a {@link RegistryStore}.
 *
 * @example
 * const registry = await ServiceRegistry.open({ dir: join(home, 'registry') });
 * await registry.registerHost({ name: 'a', address: '10.0.0.5', network: 'lan' });
 * await registry.register({ stack: 'shop', service: 'db', host: 'a', endpoints: [{ name: 'pg', port: 5432 }] });
 * await registry.resolve({ stack: 'shop', service: 'db', endpoint: 'pg' }, 'a'); // { host: '127.0.0.1', port: 5432, … }
 */
export class ServiceRegistry {
  /** The store under this registry. */
  readonly store: RegistryStore;

  constructor(store: RegistryStore) {
    this.store = store;
  }

  /**
   * A registry on a {@link FileStore} in `dir` (the default, embedded store), or in memory when no
   * `dir` is given.
   *
   * @example
   * const registry = await ServiceRegistry.open({ dir: '/var/lib/harness/registry' });
   */
  static async open(options: { readonly dir?: string } & FileStoreOptions = {}): Promise<ServiceRegistry> {
    const { dir, ...rest } = options;
    return new ServiceRegistry(dir === undefined ? new MemoryStore() : await FileStore.open(dir, rest));
  }

  /**
   * Adds an instance; `CONFLICT` if its key is taken (unless `replace`), `INVALID` listing every
   * problem with the input.
   *
   * @example
   * await registry.register({ stack: 'shop', service: 'api', instance: 0, host: 'a', state: 'running' });
   */
  async register(input: ServiceRegistration, options: RegisterOptions = {}): Promise<ServiceRecord> {
    throwIfProblems('registration', registrationProblems(input));
    const key = serviceKey(input);
    try {
      const entry = await this.store.put(
        SERVICES + key,
        encodeService(input, new Date().toISOString()),
        options.replace === true ? {} : { ifRevision: 0 },
      );
      return decodeService(entry);
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'CONFLICT') {
        throw alreadyRegistered(key, error.revision ?? 0);
      }
      throw error;
    }
  }

  /**
   * Applies a partial patch. With `revision`, the write happens only if the record is still at it
   * (`CONFLICT` otherwise, carrying the current revision). Without, the patch is applied to the
   * latest record, retrying on concurrent writes, so no other writer's change is lost; pass a
   * function to compute the patch from the current record (e.g. counters).
   *
   * @example
   * await registry.update('shop/api/0', { state: 'healthy' });
   * await registry.update('shop/api/0', (r) => ({ restarts: r.restarts + 1 }));
   */
  async update(key: ServiceKeyLike, patch: PatchLike, options: RevisionOptions = {}): Promise<ServiceRecord> {
    const k = toKey(key);
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(k);
      if (current === undefined) throw new RegistryError('NOT_FOUND', `${k} is not registered`, { key: k });
      if (options.revision !== undefined && current.revision !== options.revision) {
        throw conflict(k, current.revision, options.revision);
      }
      const next = applyPatch(current, typeof patch === 'function' ? patch(current) : patch);
      throwIfProblems(`update of ${k}`, registrationProblems(next), k);
      try {
        const entry = await this.store.put(SERVICES + k, encodeService(next, new Date().toISOString()), {
          ifRevision: current.revision,
        });
        return decodeService(entry);
      } catch (error) {
        const lostRace = error instanceof RegistryError && error.code === 'CONFLICT';
        if (!lostRace || options.revision !== undefined) {
          if (lostRace) throw conflict(k, error.revision ?? 0, options.revision ?? 0);
          throw error;
        }
        if (attempt >= MAX_UPDATE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Removes an instance; resolves to the removed record, or `undefined` if it was not registered.
   * With `revision`, removes it only if still at that revision (`CONFLICT` otherwise).
   *
   * @example
   * await registry.deregister({ stack: 'shop', service: 'api', instance: 0 });
   */
  async deregister(key: ServiceKeyLike, options: RevisionOptions = {}): Promise<ServiceRecord | undefined> {
    const k = toKey(key);
    const write = options.revision === undefined ? {} : { ifRevision: options.revision };
    try {
      const previous = await this.store.delete(SERVICES + k, write);
      return previous === undefined ? undefined : decodeService(previous);
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'CONFLICT') {
        throw conflict(k, error.revision ?? 0, options.revision ?? 0);
      }
      throw error;
    }
  }

  /**
   * Registers and deregisters several instances as ONE store write: one revision, all or nothing
   * (with a {@link FileStore}, one log file and one pair of fsyncs, however many ops). Every op is
   * validated first: `INVALID` lists every problem of every op (prefixed `ops[i]`), and nothing is
   * written when there is any; a key may appear once per batch. When a precondition fails (a
   * `register` of a taken key without `replace`, a `deregister` whose `revision` moved on), the
   * whole batch is refused with `CONFLICT` for that key, carrying its current revision. Watchers
   * see each change of the batch as its own `put` or `delete`, all with the batch's revision.
   *
   * @example
   * const { revision, records } = await registry.apply([
   *   { register: { stack: 'shop', service: 'api', instance: 0, host: 'a', state: 'running' }, replace: true },
   *   { register: { stack: 'shop', service: 'api', instance: 1, host: 'a', state: 'running' }, replace: true },
   *   { deregister: 'shop/api/2' },
   * ]);
   */
  async apply(ops: readonly RecordOp[]): Promise<ApplyResult> {
    const writes = checkOps(ops);
    const now = new Date().toISOString();
    const storeWrites = writes.map((w): StoreWrite => {
      if ('register' in w) {
        return {
          type: 'put',
          key: SERVICES + w.key,
          value: encodeService(w.register, now),
          ...(w.replace ? {} : { ifRevision: 0 }),
        };
      }
      return {
        type: 'delete',
        key: SERVICES + w.key,
        ...(w.revision === undefined ? {} : { ifRevision: w.revision }),
      };
    });
    try {
      const { revision, results } = await this.store.commit(storeWrites);
      const records = results.map((r, i) => {
        const found = 'register' in writes[i]! ? r.entry : r.previous;
        return found === undefined ? undefined : decodeService(found);
      });
      return { revision, records };
    } catch (error) {
      if (!(error instanceof RegistryError && error.code === 'CONFLICT')) throw error;
      const w = writes.find((x) => SERVICES + x.key === error.key);
      if (w === undefined) throw error;
      const current = error.revision ?? 0;
      if ('register' in w) throw alreadyRegistered(w.key, current);
      throw conflict(w.key, current, w.revision ?? 0);
    }
  }

  /**
   * The record of one instance, or `undefined`.
   *
   * @example
   * const api = await registry.get('shop/api/0');
   */
  async get(key: ServiceKeyLike): Promise<ServiceRecord | undefined> {
    const entry = await this.store.get(SERVICES + toKey(key));
    return entry === undefined ? undefined : decodeService(entry);
  }

  /**
   * The records matching `filter`, sorted by key.
   *
   * @example
   * const running = await registry.list({ stack: 'shop', state: ['running', 'healthy'] });
   */
  async list(filter: ServiceFilter = {}): Promise<ServiceRecord[]> {
    checkFilter(filter);
    const { entries } = await this.store.list(servicePrefix(filter.stack, filter.service));
    return entries.map(decodeService).filter((r) => matches(r, filter));
  }

  /**
   * Watches the records matching `filter`: a consistent snapshot (as `put`s, then `synced`), then
   * every later change, with no gap and no duplicate. Each watch queues at most `bufferSize` store
   * changes (default 10000); a reader that falls further behind gets `lagged` and a resync. End it
   * with `signal`, `break` in `for await`, or `return()`.
   *
   * @example
   * for await (const change of registry.watch({ stack: 'shop' }, { signal })) {
   *   if (change.type === 'put') console.log(change.record.key, change.record.state);
   * }
   */
  watch(filter: ServiceFilter = {}, options: WatchOptions = {}): RegistryWatch {
    checkFilter(filter);
    const bound = options.bufferSize;
    if (bound !== undefined && (!Number.isInteger(bound) || bound < 1)) {
      throw new RegistryError('INVALID', `bufferSize must be a positive integer, got ${String(bound)}`, {
        problems: [`bufferSize: ${String(bound)}`],
      });
    }
    const prefix = servicePrefix(filter.stack, filter.service);
    return new RegistryWatch(
      (listener) => this.store.watch(prefix, listener),
      decodeService,
      filter,
      options,
    );
  }

  /**
   * The address to reach `ref` from `fromHost`: loopback on the same host, the LAN address between
   * LAN hosts, the WireGuard address between WireGuard peers. Errors: `NOT_FOUND` (no such
   * service or instance), `UNKNOWN_ENDPOINT` (with "did you mean"), `UNKNOWN_HOST`, `UNRESOLVABLE`.
   *
   * @example
   * const { host, port } = await registry.resolve({ stack: 'shop', service: 'db', endpoint: 'pg' }, 'edge-1');
   */
  async resolve(ref: ServiceRef, fromHost: string): Promise<ResolvedAddress> {
    const [inStack, hosts] = await Promise.all([this.list({ stack: ref.stack }), this.listHosts()]);
    return resolveAddress({
      ref,
      fromHost,
      instances: inStack.filter((r) => r.service === ref.service),
      servicesInStack: inStack.map((r) => r.service),
      hosts: new Map(hosts.map((h) => [h.name, h])),
    });
  }

  /**
   * Adds or replaces a host (hosts are few and owned by configuration, so this is an upsert).
   *
   * @example
   * await registry.registerHost({ name: 'edge-1', address: '192.168.1.20', network: 'wireguard', wireguardAddress: '10.8.0.2' });
   */
  async registerHost(input: HostRegistration): Promise<HostRecord> {
    throwIfProblems('host', hostProblems(input));
    return decodeHost(await this.store.put(HOSTS + input.name, encodeHost(input)));
  }

  /**
   * A host by name, or `undefined`.
   *
   * @example
   * const edge = await registry.getHost('edge-1');
   */
  async getHost(name: string): Promise<HostRecord | undefined> {
    const entry = await this.store.get(HOSTS + name);
    return entry === undefined ? undefined : decodeHost(entry);
  }

  /**
   * Every host, sorted by name.
   *
   * @example
   * const names = (await registry.listHosts()).map((h) => h.name);
   */
  async listHosts(): Promise<HostRecord[]> {
    return (await this.store.list(HOSTS)).entries.map(decodeHost);
  }

  /**
   * Removes a host; resolves to it, or `undefined` if it was not registered.
   *
   * @example
   * await registry.deregisterHost('edge-1');
   */
  async deregisterHost(name: string): Promise<HostRecord | undefined> {
    const previous = await this.store.delete(HOSTS + name);
    return previous === undefined ? undefined : decodeHost(previous);
  }

  /**
   * Closes the store; open watches end.
   *
   * @example
   * await registry.close();
   */
  close(): Promise<void> {
    return this.store.close();
  }
}

/** A `register` without `replace` of a key that is taken. */
function alreadyRegistered(key: string, revision: number): RegistryError {
  return new RegistryError('CONFLICT', `${key} is already registered (revision ${revision})`, {
    key,
    revision,
  });
}

function conflict(key: string, current: number, expected: number): RegistryError {
  const now = current === 0 ? 'is not registered any more' : `is at revision ${current}`;
  return new RegistryError('CONFLICT', `${key} ${now}, expected revision ${expected}`, {
    key,
    revision: current,
  });
}

type CheckedOp =
  | { readonly key: string; readonly register: ServiceRegistration; readonly replace: boolean }
  | { readonly key: string; readonly revision: number | undefined };

/** The ops of a batch with their keys; `INVALID` listing every problem of every op, if any. */
function checkOps(ops: readonly RecordOp[]): CheckedOp[] {
  if (!Array.isArray(ops)) throwIfProblems('batch', [`ops must be an array, got ${typeof ops}`]);
  const problems: string[] = [];
  const checked: CheckedOp[] = [];
  const seen = new Set<string>();
  ops.forEach((op: RecordOp, i) => {
    const at = `ops[${i}]`;
    const isObj = typeof op === 'object' && op !== null;
    if (!isObj || 'register' in op === 'deregister' in op) {
      problems.push(`${at} must be { register } or { deregister }, got ${JSON.stringify(op)}`);
      return;
    }
    let next: CheckedOp | undefined;
    if ('register' in op) {
      const reg: unknown = op.register;
      const found =
        typeof reg === 'object' && reg !== null
          ? registrationProblems(op.register)
          : [`register must be a registration, got ${JSON.stringify(reg)}`];
      const key = found.length === 0 ? serviceKey(op.register) : keyOrUndefined(op.register);
      for (const p of found) problems.push(`${at}${key === undefined ? '' : ` (${key})`}: ${p}`);
      if (key === undefined) return;
      next = { key, register: op.register, replace: op.replace === true };
    } else {
      let key: string;
      try {
        key = toKey(op.deregister);
      } catch (error) {
        problems.push(`${at}: deregister: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      const r = op.revision;
      if (r !== undefined && !(Number.isInteger(r) && r >= 0)) {
        problems.push(`${at} (${key}): revision must be a non-negative integer, got ${JSON.stringify(r)}`);
      }
      next = { key, revision: r };
    }
    if (seen.has(next.key)) problems.push(`${at}: ${next.key} appears twice in one batch`);
    seen.add(next.key);
    checked.push(next);
  });
  throwIfProblems('batch', problems);
  return checked;
}

/** The key of a registration, or `undefined` when its names are not valid. */
function keyOrUndefined(r: ServiceRegistration): string | undefined {
  try {
    return serviceKey(r);
  } catch {
    return undefined;
  }
}

function checkFilter(filter: ServiceFilter): void {
  const problems: string[] = [];
  for (const f of ['stack', 'service', 'host'] as const) {
    const p = filter[f] === undefined ? undefined : nameProblem(`filter.${f}`, filter[f]);
    if (p !== undefined) problems.push(p);
  }
  if (filter.service !== undefined && filter.stack === undefined)
    problems.push('filter.service needs filter.stack');
  throwIfProblems('filter', problems);
}

function applyPatch(current: ServiceRecord, patch: ServicePatch): ServiceRegistration {
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  return next as unknown as ServiceRegistration;
}
