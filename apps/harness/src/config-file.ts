import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { findConfigFile } from '@harness/harness-config';
import { UsageError } from './usage-error.js';

/**
 * The configuration file a verb works on: `-f FILE` (relative to `cwd`), else `harness.yaml` in
 * `cwd` or the nearest parent folder. Returns the path to show (relative to `cwd` when shorter).
 * Throws a {@link UsageError} when there is none.
 *
 * @example
 * locateConfig(undefined, process.cwd()); // '../harness.yaml'
 */
export function locateConfig(file: string | undefined, cwd: string): string {
  if (file !== undefined) {
    if (!existsSync(resolve(cwd, file)))
      throw new UsageError('CONFIG_NOT_FOUND', `${file} does not exist`, `looked for ${resolve(cwd, file)}`);
    return file;
  }
  const found = findConfigFile(cwd);
  if (found === undefined) {
    throw new UsageError(
      'CONFIG_NOT_FOUND',
      `no harness.yaml in ${cwd} or any parent folder`,
      'create one (see docs/config.md), or name it with -f FILE',
    );
  }
  const shown = relative(cwd, found);
  return shown.length < found.length ? shown : found;
}
