/**
 * A mistake in how the command was called (a missing file, a bad argument): reported as one
 * sentence plus a detail, exit code 2, never a stack trace.
 *
 * @example
 * throw new UsageError('CONFIG_NOT_FOUND', 'no harness.yaml in /srv or any parent folder', 'pass -f FILE');
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: string;
  readonly detail: string | undefined;

  constructor(code: string, message: string, detail?: string) {
    super(message);
    this.code = code;
    this.detail = detail;
  }
}
