/**
 * Errors of the service registry. Every failure is a {@link RegistryError} with a stable `code`
 * and the data needed to act on it.
 */

/** Stable codes for every failure this package reports. */
export type RegistryErrorCode =
  /** A record, option or name failed validation; `problems` lists every problem found. */
  | 'INVALID'
  /** The service (or instance) is not registered. */
  | 'NOT_FOUND'
  /** A compare-and-swap failed: the key exists already, or its revision moved on. */
  | 'CONFLICT'
  /** A host named by a record or a resolve call is not registered. */
  | 'UNKNOWN_HOST'
  /** The service is registered but has no endpoint of that name (or no endpoint at all). */
  | 'UNKNOWN_ENDPOINT'
  /** The hosts cannot reach each other with the topology the registry knows. */
  | 'UNRESOLVABLE'
  /** A store file cannot be read as what it should be; `file` names it. */
  | 'STORE_CORRUPT'
  /** The store folder is in use in a way that blocks the operation. */
  | 'LOCKED'
  /** The registry or store was closed. */
  | 'CLOSED'
  /** An unexpected file system error; `cause` has it. */
  | 'IO';

/** Extra data carried by a {@link RegistryError}. */
export interface RegistryErrorDetails {
  /** The store key or service key concerned. */
  readonly key?: string;
  /** The file concerned (store errors). */
  readonly file?: string;
  /** The current revision of the key, for `CONFLICT` (0 when it does not exist). */
  readonly revision?: number;
  /** Close names, for "did you mean". */
  readonly suggestions?: readonly string[];
  /** Every validation problem, for `INVALID`. */
  readonly problems?: readonly string[];
  readonly cause?: unknown;
}

/**
 * The one error class of this package.
 *
 * @example
 * try { await registry.update('shop/api/0', { state: 'running' }, { revision: 3 }); }
 * catch (e) { if (e instanceof RegistryError && e.code === 'CONFLICT') console.error('moved to', e.revision); }
 */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  readonly key: string | undefined;
  readonly file: string | undefined;
  readonly revision: number | undefined;
  readonly suggestions: readonly string[];
  readonly problems: readonly string[];

  constructor(code: RegistryErrorCode, message: string, details: RegistryErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.key = details.key;
    this.file = details.file;
    this.revision = details.revision;
    this.suggestions = details.suggestions ?? [];
    this.problems = details.problems ?? [];
  }
}
