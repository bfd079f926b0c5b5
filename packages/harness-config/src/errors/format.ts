import type { ConfigErrorData } from './config-error.js';

/** Options of {@link formatError} and {@link formatErrors}. */
export interface FormatOptions {
  /** Use ANSI colours (default false). */
  readonly color?: boolean;
}

const paint = (on: boolean, code: string, text: string): string =>
  on ? `\x1b[${code}m${text}\x1b[0m` : text;

/**
 * Formats one problem like a compiler does: a headline, the position, the source line with a caret
 * under the culprit, the key path and the hint.
 *
 * @example
 * console.error(formatError(error));
 * // error[UNKNOWN_KEY]: unknown key `restrat` in `services.api`
 * //   --> harness.yaml:12:5
 * //    |
 * // 12 |     restrat: always
 * //    |     ^^^^^^^
 * //    = at: services.api.restrat
 * //    = help: did you mean `restart`?
 */
export function formatError(error: ConfigErrorData, options: FormatOptions = {}): string {
  const color = options.color ?? false;
  const isError = error.severity === 'error';
  const label = paint(color, isError ? '1;31' : '1;33', `${error.severity}[${error.code}]`);
  const lines = [`${label}${paint(color, '1', `: ${error.message}`)}`];
  const gutter = error.line > 0 ? String(error.line).length : 1;
  const pad = ' '.repeat(gutter);
  const bar = paint(color, '1;34', '|');
  const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
  lines.push(`${pad}${paint(color, '1;34', '-->')} ${where}`);
  if (error.line > 0 && error.sourceLine !== undefined) {
    const indent = error.sourceLine.slice(0, Math.max(0, error.column - 1)).replace(/[^\t]/g, ' ');
    const maxCaret = Math.max(1, error.sourceLine.length - error.column + 1);
    const carets = '^'.repeat(Math.max(1, Math.min(error.length, maxCaret)));
    lines.push(`${pad} ${bar}`);
    lines.push(`${paint(color, '1;34', String(error.line))} ${bar} ${error.sourceLine}`);
    lines.push(`${pad} ${bar} ${indent}${paint(color, isError ? '1;31' : '1;33', carets)}`);
  }
  if (error.path !== '') lines.push(`${pad} ${paint(color, '1;34', '=')} at: ${error.path}`);
  if (error.hint !== undefined) lines.push(`${pad} ${paint(color, '1;34', '=')} help: ${error.hint}`);
  return lines.join('\n');
}

/**
 * Formats a list of problems, separated by blank lines, with a closing count.
 *
 * @example
 * process.stderr.write(`${formatErrors(result.errors)}\n`);
 */
export function formatErrors(errors: readonly ConfigErrorData[], options: FormatOptions = {}): string {
  if (errors.length === 0) return '';
  const parts = errors.map((e) => formatError(e, options));
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const nErrors = errors.filter((e) => e.severity === 'error').length;
  const nWarnings = errors.length - nErrors;
  const summary = [
    nErrors > 0 ? count(nErrors, 'error') : '',
    nWarnings > 0 ? count(nWarnings, 'warning') : '',
  ]
    .filter((s) => s !== '')
    .join(', ');
  return `${parts.join('\n\n')}\n\n${summary}`;
}
