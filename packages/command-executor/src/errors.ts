/**
 * Errors of the command-executor. Every error is a {@link CommandError} with a stable
 * `code`, the program it concerns, and the underlying `cause` when there is one.
 */

/** Stable codes for every failure this package reports. */
export type CommandErrorCode =
  | 'ENOENT_PROGRAM'
  | 'EACCES_PROGRAM'
  | 'ENOENT_CWD'
  | 'SPAWN_FAILED'
  | 'INVALID_COMMAND'
  | 'INVALID_OPTION'
  | 'PID_MISMATCH'
  | 'NOT_RUNNING'
  | 'STDIN_CLOSED'
  | 'DETACHED'
  | 'LOG_FILE';

/**
 * The one error class of this package.
 *
 * @example
 * try { await launcher.launch(Command.of('no-such-program')); }
 * catch (e) { if (e instanceof CommandError && e.code === 'ENOENT_PROGRAM') console.error(e.message); }
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly code: CommandErrorCode;
  /** The program the error is about, when there is one. */
  readonly program: string | undefined;

  constructor(code: CommandErrorCode, message: string, options: { program?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.program = options.program;
  }
}
