/** Error codes carried by error frames. */
export type ProtocolErrorCode =
  | 'UNAUTHENTICATED'
  | 'PROTOCOL_VERSION'
  | 'MALFORMED_FRAME'
  | 'FRAME_TOO_LARGE'
  | 'UNKNOWN_METHOD'
  | 'INVALID_PARAMS'
  | 'DUPLICATE_ID'
  | 'UNKNOWN_STACK'
  | 'UNKNOWN_SERVICE'
  | 'INVALID_SPEC'
  | 'DEPENDENCY_CYCLE'
  | 'START_FAILED'
  | 'DAEMON_UNAVAILABLE'
  | 'CONNECTION_CLOSED'
  | 'TIMEOUT'
  | 'CERTIFICATE_MISMATCH'
  | 'LIMIT_EXCEEDED'
  /** The standalone worker a call went to disconnected (the message names its host). */
  | 'WORKER_GONE'
  /** `params.host` names no worker this controller knows. */
  | 'UNKNOWN_HOST'
  /** No `host` was given and no single worker can take the call (none, or several, registered). */
  | 'NO_WORKER'
  /** `worker.register` for a host name that is already registered. */
  | 'HOST_TAKEN'
  | 'INTERNAL';

/**
 * An error of the protocol, on either side: the daemon sends it as an error frame, the client
 * raises it from one.
 *
 * @example
 * throw new ProtocolError('UNKNOWN_METHOD', 'no method named "stak.up" (did you mean "stack.up"?)');
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly data: unknown;

  constructor(code: ProtocolErrorCode, message: string, options: { data?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
  }
}
