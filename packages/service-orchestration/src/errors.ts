/** Stable codes of orchestration errors. */
export type OrchestrationErrorCode =
  | 'INVALID_SPEC'
  | 'UNKNOWN_STACK'
  | 'UNKNOWN_SERVICE'
  | 'DEPENDENCY_CYCLE'
  | 'DEPENDENCY_FAILED'
  | 'START_FAILED'
  | 'STATE_CORRUPT'
  | 'CLOSED';

/**
 * The error class of the orchestration.
 *
 * @example
 * try { await manager.start('shop', 'nope'); } catch (e) { if (e instanceof OrchestrationError) console.log(e.code); }
 */
export class OrchestrationError extends Error {
  override readonly name = 'OrchestrationError';
  readonly code: OrchestrationErrorCode;

  constructor(code: OrchestrationErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
