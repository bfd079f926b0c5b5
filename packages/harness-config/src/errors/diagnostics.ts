import { type ConfigErrorCode, ConfigError, type Severity } from './config-error.js';
import type { SourceText } from './source-text.js';

/** A half-open range of offsets `[start, end)` in a source text. */
export type Range = readonly [start: number, end: number];

/** What a stage reports about one problem. */
export interface Problem {
  readonly code: ConfigErrorCode;
  readonly range: Range | undefined;
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly hint?: string | undefined;
  readonly severity?: Severity;
  /** The source the range refers to; the configuration file when omitted. */
  readonly source?: SourceText;
}

/**
 * Formats a key path as the dotted form used in messages.
 *
 * @example
 * formatPath(['services', 'api', 'ports', 0]); // 'services.api.ports[0]'
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/**
 * Collects the problems of every stage, turning offsets into positions, without stopping at the
 * first one. Each problem is kept once, even when shared YAML nodes (aliases) report it twice.
 *
 * @example
 * const d = new Diagnostics(new SourceText('harness.yaml', text));
 * d.report({ code: 'WRONG_TYPE', range: [0, 4], path: ['name'], message: '`name` must be a string' });
 * d.errors.length; // 1
 */
export class Diagnostics {
  readonly source: SourceText;
  readonly #all: ConfigError[] = [];
  readonly #seen = new Set<string>();

  constructor(source: SourceText) {
    this.source = source;
  }

  /** Records one problem. */
  report(problem: Problem): void {
    const source = problem.source ?? this.source;
    const key = `${problem.code}|${source.file}|${problem.range?.[0] ?? -1}|${problem.message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    let line = 0;
    let column = 0;
    let length = 0;
    let sourceLine: string | undefined;
    if (problem.range) {
      const start = source.position(problem.range[0]);
      line = start.line;
      column = start.column;
      sourceLine = source.lineText(line);
      const end = source.position(Math.max(problem.range[1], problem.range[0] + 1));
      length =
        end.line === line ? Math.max(1, end.column - column) : Math.max(1, sourceLine.length - column + 1);
    }
    this.#all.push(
      new ConfigError({
        code: problem.code,
        severity: problem.severity ?? 'error',
        file: source.file,
        line,
        column,
        length,
        path: formatPath(problem.path),
        message: problem.message,
        hint: problem.hint,
        sourceLine,
      }),
    );
  }

  /** How many errors (not warnings) have been reported so far. */
  get errorCount(): number {
    return this.#all.reduce((n, e) => n + (e.severity === 'error' ? 1 : 0), 0);
  }

  /** Problems of severity `error`, sorted by file, line and column. */
  get errors(): ConfigError[] {
    return sortProblems(this.#all.filter((e) => e.severity === 'error'));
  }

  /** Problems of severity `warning`, sorted by file, line and column. */
  get warnings(): ConfigError[] {
    return sortProblems(this.#all.filter((e) => e.severity === 'warning'));
  }
}

function sortProblems(list: ConfigError[]): ConfigError[] {
  return list
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      if (a.e.file !== b.e.file) return a.i - b.i;
      return a.e.line - b.e.line || a.e.column - b.e.column || a.i - b.i;
    })
    .map(({ e }) => e);
}
