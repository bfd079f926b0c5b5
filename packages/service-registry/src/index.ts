export { RegistryError } from './errors.js';
export type { RegistryErrorCode, RegistryErrorDetails } from './errors.js';
export { FileStore } from './file-store.js';
export type { FileStoreOptions } from './file-store.js';
export { parseServiceKey, serviceKey } from './keys.js';
export type { ServiceKeyParts } from './keys.js';
export { MemoryStore } from './memory-store.js';
export { ServiceRegistry } from './registry.js';
export type {
  ApplyResult,
  PatchLike,
  RecordOp,
  RegisterOptions,
  RevisionOptions,
  ServiceKeyLike,
} from './registry.js';
export { DEFAULT_WATCH_BUFFER, RegistryWatch } from './registry-watch.js';
export type { RegistryChange, WatchOptions } from './registry-watch.js';
export { resolveAddress } from './resolve.js';
export type { ResolveInput } from './resolve.js';
export type {
  CommitResult,
  JsonValue,
  RegistryStore,
  StoreEntry,
  StoreEvent,
  StoreSnapshot,
  StoreWrite,
  StoreWriteResult,
  Unsubscribe,
  WriteOptions,
} from './store.js';
export { SERVICE_STATES } from './types.js';
export type {
  Endpoint,
  ExitInfo,
  Health,
  HostNetwork,
  HostRecord,
  HostRegistration,
  Meta,
  ResolvedAddress,
  ServiceFilter,
  ServicePatch,
  ServiceRecord,
  ServiceRef,
  ServiceRegistration,
  ServiceState,
  Target,
} from './types.js';
