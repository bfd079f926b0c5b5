import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { findConfigFile, quickStackName } from '@harness/harness-config/light';
import type { CliContext } from './context.js';
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

/**
 * The name of the stack a verb works on, read quickly when the file makes it plain (see
 * `quickStackName`), else by loading the configuration — which prints its problems and throws
 * when it is invalid. For verbs that need only the name, like `ps`: the YAML parser and the
 * validator are then not even loaded.
 *
 * @example
 * const name = await stackNameOf({ file: undefined }, cx);
 */
export async function stackNameOf(options: { file?: string | undefined }, cx: CliContext): Promise<string> {
  const file = locateConfig(options.file, cx.cwd);
  const quick = quickStackName(resolve(cx.cwd, file));
  if (quick !== undefined) return quick;
  const { loadStack } = await import('./load-stack.js');
  return loadStack(options, cx).config.name;
}
