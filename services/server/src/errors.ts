/** Stable codes of server errors. */
export type ServerErrorCode =
  /** An option has a bad value; the message quotes it. */
  | 'INVALID_OPTION'
  /** The address to listen on is taken by another socket. */
  | 'ADDRESS_IN_USE'
  /** Listening failed for another reason (permission, unknown host…); `cause` has it. */
  | 'LISTEN_FAILED';

/**
 * The error class of the server service: `init` rejects with one when it cannot start.
 *
 * @example
 * try { await init({ worker, version, listen: { host: '127.0.0.1', port: 80 } }); }
 * catch (e) { if (e instanceof ServerError && e.code === 'ADDRESS_IN_USE') console.log(e.message); }
 */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
