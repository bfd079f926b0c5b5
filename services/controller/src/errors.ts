/** Stable codes of controller errors. */
export type ControllerErrorCode =
  | 'INVALID_OPTION'
  | 'ADDRESS_IN_USE'
  | 'DAEMON_RUNNING'
  | 'LISTEN_FAILED'
  | 'HOME_UNUSABLE'
  | 'TOKEN_CORRUPT'
  | 'TLS_MATERIAL';

/**
 * What the controller's `init` rejects with.
 *
 * @example
 * try { await init(options); } catch (e) { if (e instanceof ControllerError && e.code === 'DAEMON_RUNNING') … }
 */
export class ControllerError extends Error {
  override readonly name = 'ControllerError';
  readonly code: ControllerErrorCode;

  constructor(code: ControllerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
