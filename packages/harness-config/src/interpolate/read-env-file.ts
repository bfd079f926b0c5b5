import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Diagnostics, Range } from '../errors/diagnostics.js';
import { SourceText } from '../errors/source-text.js';
import { parseEnvFile } from './env-file.js';

/** Reads a file as UTF-8; throws when it cannot. */
export type ReadFile = (path: string) => string;

/**
 * Reads and parses an env file named in the configuration. A missing file is reported at `range`;
 * syntax problems are reported at their own line in the env file. Returns undefined when the file
 * cannot be read.
 *
 * @example
 * const vars = readEnvFile('.env', node.range, ['env_file'], diag, '/srv/shop');
 */
export function readEnvFile(
  name: string,
  range: Range,
  path: readonly (string | number)[],
  diag: Diagnostics,
  baseDir: string,
  readFile: ReadFile = (p) => readFileSync(p, 'utf8'),
): Map<string, string> | undefined {
  const absolute = resolve(baseDir, name);
  let text: string;
  try {
    text = readFile(absolute);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    diag.report({
      code: 'ENV_FILE_NOT_FOUND',
      range,
      path,
      message: `env file \`${name}\` ${reason}`,
      hint: `looked for ${absolute}; create it, or remove it from \`env_file\``,
    });
    return undefined;
  }
  const shown = isAbsolute(name) ? name : join(dirname(diag.source.file), name);
  const source = new SourceText(shown, text);
  const parsed = parseEnvFile(text);
  for (const problem of parsed.problems) {
    const offset = source.offsetOf(problem.line, problem.column);
    diag.report({
      code: 'ENV_FILE_SYNTAX',
      range: [offset, offset + 1],
      path,
      message: problem.message,
      source,
    });
  }
  return parsed.values;
}
