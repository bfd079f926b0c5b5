/**
 * The errors of harness-config. Every problem found in a configuration is one {@link ConfigError}
 * with a stable `code`, a position (file, line, column), the key path it concerns, a message and,
 * when there is a likely fix, a hint. `loadConfig` throws all of them at once as {@link ConfigErrors}.
 */

/** Stable codes for every problem this package reports (errors and warnings). */
export type ConfigErrorCode =
  // Reading the file
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'FILE_EMPTY'
  | 'FILE_BINARY'
  | 'FILE_TOO_LARGE'
  // YAML
  | 'YAML_SYNTAX'
  | 'DUPLICATE_KEY'
  | 'ALIAS_LIMIT'
  | 'NOT_A_MAPPING'
  // Schema
  | 'UNKNOWN_KEY'
  | 'MISSING_KEY'
  | 'WRONG_TYPE'
  | 'INVALID_VALUE'
  | 'INVALID_NAME'
  | 'OUT_OF_RANGE'
  | 'INVALID_DURATION'
  | 'INVALID_SIZE'
  | 'INVALID_REGEX'
  | 'INVALID_PORT_MAPPING'
  | 'TARGET_MISSING'
  | 'TARGET_CONFLICT'
  | 'PROBE_MISSING'
  | 'PROBE_CONFLICT'
  // Interpolation and environment files
  | 'INTERPOLATION_SYNTAX'
  | 'MISSING_VARIABLE'
  | 'UNSET_VARIABLE'
  | 'REF_NOT_ALLOWED'
  | 'ENV_FILE_NOT_FOUND'
  | 'ENV_FILE_SYNTAX'
  // References between parts of the file
  | 'UNKNOWN_SERVICE'
  | 'UNKNOWN_HOST'
  | 'UNKNOWN_PORT'
  | 'NO_PORTS'
  | 'DEPENDENCY_CYCLE'
  | 'REF_WITHOUT_DEPENDENCY'
  | 'COMPLETED_NEVER_COMPLETES'
  | 'NO_SERVICES';

/** `error` makes a configuration invalid; `warning` is reported but the configuration loads. */
export type Severity = 'error' | 'warning';

/** The data of one problem, as plain JSON (what `harness config validate --json` prints). */
export interface ConfigErrorData {
  readonly code: ConfigErrorCode;
  readonly severity: Severity;
  /** The file the problem is in (the configuration file, or an env file it names). */
  readonly file: string;
  /** 1-based line; 0 when the problem concerns the whole file. */
  readonly line: number;
  /** 1-based column (in characters); 0 when the problem concerns the whole file. */
  readonly column: number;
  /** How many characters the problem spans on its line (at least 1 when there is a position). */
  readonly length: number;
  /** Dotted key path, e.g. `services.api.depends_on.db`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** A likely fix, e.g. "did you mean `restart`?". */
  readonly hint: string | undefined;
  /** The text of the source line, used to print a caret excerpt. */
  readonly sourceLine: string | undefined;
}

/**
 * One problem in a configuration.
 *
 * @example
 * const { errors } = parseConfig('services: { a: { proces: {} } }', { file: 'harness.yaml' });
 * errors[0]?.code; // 'UNKNOWN_KEY', errors[0]?.hint === 'did you mean `process`?'
 */
export class ConfigError extends Error implements ConfigErrorData {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly length: number;
  readonly path: string;
  readonly hint: string | undefined;
  readonly sourceLine: string | undefined;

  constructor(
    data: Omit<ConfigErrorData, 'severity' | 'length' | 'hint' | 'sourceLine'> & Partial<ConfigErrorData>,
  ) {
    super(data.message);
    this.code = data.code;
    this.severity = data.severity ?? 'error';
    this.file = data.file;
    this.line = data.line;
    this.column = data.column;
    this.length = data.length ?? (data.line > 0 ? 1 : 0);
    this.path = data.path;
    this.hint = data.hint;
    this.sourceLine = data.sourceLine;
  }

  /** `file:line:column`, or just `file` when the problem concerns the whole file. */
  get location(): string {
    return this.line > 0 ? `${this.file}:${this.line}:${this.column}` : this.file;
  }

  /** The problem as plain data (stable field order), for `--json` output. */
  toJSON(): ConfigErrorData {
    return {
      code: this.code,
      severity: this.severity,
      file: this.file,
      line: this.line,
      column: this.column,
      length: this.length,
      path: this.path,
      message: this.message,
      hint: this.hint,
      sourceLine: this.sourceLine,
    };
  }
}

/**
 * Thrown by `loadConfig` when a configuration has at least one error: all problems at once.
 *
 * @example
 * try { loadConfig('harness.yaml'); }
 * catch (e) { if (e instanceof ConfigErrors) console.error(formatErrors(e.errors)); }
 */
export class ConfigErrors extends Error {
  override readonly name = 'ConfigErrors';
  readonly code = 'INVALID_CONFIG';
  /** Every error (severity `error`), in file order. */
  readonly errors: readonly ConfigError[];
  /** Warnings found along the way. */
  readonly warnings: readonly ConfigError[];

  constructor(errors: readonly ConfigError[], warnings: readonly ConfigError[] = []) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(first ? `${first.location}: ${first.message}${more}` : 'invalid configuration');
    this.errors = errors;
    this.warnings = warnings;
  }
}
