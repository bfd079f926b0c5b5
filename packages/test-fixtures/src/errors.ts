/**
 * Errors of the test fixtures. A fixture that cannot start never skips: it throws a
 * {@link FixtureError} naming the step that failed, with the tail of the daemon's log.
 */

/** Stable codes for every way a fixture can fail to start or stop. */
export type FixtureErrorCode =
  /** A program the fixture needs is not installed (see scripts/setup.sh). */
  | 'MISSING_BINARY'
  /** A setup command exited non-zero. */
  | 'STEP_FAILED'
  /** The daemon started but never answered before the deadline, or exited early. */
  | 'NOT_READY'
  /** An option has a bad value. */
  | 'INVALID_OPTION';

/**
 * The one error class of `@harness/test-fixtures`.
 *
 * @example
 * try { await startDockerEngine(); }
 * catch (e) { if (e instanceof FixtureError && e.code === 'MISSING_BINARY') console.error(e.message); }
 */
export class FixtureError extends Error {
  override readonly name = 'FixtureError';
  readonly code: FixtureErrorCode;
  /** The step that failed, e.g. `ip netns add hn123x1` or `dockerd readiness`. */
  readonly step: string;
  /** The last lines of the relevant output or daemon log, when there are any. */
  readonly logTail: string;

  constructor(
    code: FixtureErrorCode,
    step: string,
    message: string,
    options: { logTail?: string; cause?: unknown } = {},
  ) {
    const tail = options.logTail?.trim() ?? '';
    super(
      `${step}: ${message}${tail === '' ? '' : `\n--- log tail ---\n${tail}`}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.step = step;
    this.logTail = tail;
  }
}
