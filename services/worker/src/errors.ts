/** Stable codes of worker errors. */
export type WorkerErrorCode =
  /** An option has a bad value; the message quotes it. */
  | 'INVALID_OPTION'
  /** The state folder cannot be used (not a folder, not writable). */
  | 'STATE_UNUSABLE'
  /** The persisted state of the service manager cannot be read. */
  | 'STATE_CORRUPT'
  /** The service registry cannot be opened or written. */
  | 'REGISTRY_FAILED'
  /** Standalone mode: the controller cannot be reached (nothing listens, no answer in time). */
  | 'CONTROLLER_UNREACHABLE'
  /**
   * Standalone mode: the controller refused the worker — a wrong token, a certificate that is
   * not the pinned one, another protocol version, or the host name is registered already.
   */
  | 'CONTROLLER_REFUSED';

/**
 * The error class of the worker service: `init` rejects with one when it cannot start.
 *
 * @example
 * try { await init({ stateDir: '/nope' }); } catch (e) { if (e instanceof WorkerError) console.log(e.code); }
 */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  readonly code: WorkerErrorCode;

  constructor(code: WorkerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
