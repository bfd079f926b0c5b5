import { RegistryError } from './errors.js';
import { parseServiceKey, SERVICES } from './keys.js';
import type { JsonValue, StoreEntry } from './store.js';
import type {
  HostRecord,
  HostRegistration,
  ServiceFilter,
  ServiceRecord,
  ServiceRegistration,
} from './types.js';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops `undefined` fields so the stored JSON is minimal and round-trips exactly. */
function compact(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The stored form of a service record (everything but `key` and `revision`). */
export function encodeService(r: ServiceRegistration, updatedAt: string): JsonValue {
  const value = compact({
    stack: r.stack,
    service: r.service,
    instance: String(r.instance ?? 0),
    host: r.host,
    target: r.target,
    endpoints: r.endpoints ?? [],
    state: r.state ?? 'starting',
    health: r.health ?? { status: 'unknown' },
    startedAt: r.startedAt,
    restarts: r.restarts ?? 0,
    exit: r.exit,
    reason: r.reason,
    nextAttemptAt: r.nextAttemptAt,
    labels: r.labels ?? {},
    meta: r.meta ?? {},
    updatedAt,
  });
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** A service record from its store entry; `STORE_CORRUPT` if the value is not one. */
export function decodeService(entry: StoreEntry): ServiceRecord {
  const v = entry.value;
  const key = entry.key.slice(SERVICES.length);
  if (
    !isObject(v) ||
    typeof v.host !== 'string' ||
    typeof v.state !== 'string' ||
    !Array.isArray(v.endpoints) ||
    !isObject(v.health)
  ) {
    throw new RegistryError('STORE_CORRUPT', `the stored value of "${entry.key}" is not a service record`, {
      key: entry.key,
    });
  }
  return {
    ...(v as unknown as Omit<ServiceRecord, 'key' | 'revision'>),
    ...parseServiceKey(key),
    key,
    revision: entry.modRevision,
  };
}

/** The stored form of a host record. */
export function encodeHost(h: HostRegistration): JsonValue {
  const value = compact({
    name: h.name,
    address: h.address,
    network: h.network,
    wireguardAddress: h.wireguardAddress,
    labels: h.labels ?? {},
  });
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** A host record from its store entry; `STORE_CORRUPT` if the value is not one. */
export function decodeHost(entry: StoreEntry): HostRecord {
  const v = entry.value;
  if (
    !isObject(v) ||
    typeof v.name !== 'string' ||
    typeof v.address !== 'string' ||
    typeof v.network !== 'string'
  ) {
    throw new RegistryError('STORE_CORRUPT', `the stored value of "${entry.key}" is not a host record`, {
      key: entry.key,
    });
  }
  return { ...(v as unknown as Omit<HostRecord, 'revision'>), revision: entry.modRevision };
}

/** Whether `record` passes every field of `filter`. */
export function matches(record: ServiceRecord, filter: ServiceFilter): boolean {
  if (filter.stack !== undefined && record.stack !== filter.stack) return false;
  if (filter.service !== undefined && record.service !== filter.service) return false;
  if (filter.host !== undefined && record.host !== filter.host) return false;
  if (filter.state !== undefined) {
    const states: readonly string[] = typeof filter.state === 'string' ? [filter.state] : filter.state;
    if (!states.includes(record.state)) return false;
  }
  return true;
}
