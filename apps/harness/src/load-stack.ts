import { resolve } from 'node:path';
import {
  type ConfigError,
  ConfigErrors,
  formatErrors,
  loadConfig,
  type ResolvedConfig,
} from '@harness/harness-config';
import { locateConfig } from './config-file.js';
import type { CliContext } from './context.js';
import { UsageError } from './usage-error.js';

/** A configuration that did not load: its problems were printed; the verb exits 1. */
export class ConfigInvalid extends Error {
  override readonly name = 'ConfigInvalid';
  readonly code = 'CONFIG_INVALID';
}

/** A configuration file read: resolved, or the problems that kept it from resolving. */
export type LoadedConfig =
  | { file: string; config: ResolvedConfig; warnings: readonly ConfigError[] }
  | { file: string; errors: ConfigErrors };

/**
 * Finds and reads the configuration a verb works on (`-f FILE`, else `harness.yaml` here or in a
 * parent). A missing file is a {@link UsageError}; an invalid one is returned with its problems.
 *
 * @example
 * const loaded = readStackConfig({ file: undefined }, cx);
 */
export function readStackConfig(options: { file?: string | undefined }, cx: CliContext): LoadedConfig {
  const file = locateConfig(options.file, cx.cwd);
  try {
    return { file, ...loadConfig(resolve(cx.cwd, file), { env: cx.env, name: file }) };
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    const first = error.errors[0];
    if (error.errors.length === 1 && first?.code === 'FILE_NOT_FOUND') {
      throw new UsageError('CONFIG_NOT_FOUND', first.message);
    }
    return { file, errors: error };
  }
}

/**
 * Loads the stack's configuration for a verb that acts on it: warnings and errors are printed on
 * stderr like `harness config validate` does; an invalid file throws {@link ConfigInvalid}.
 *
 * @example
 * const { config } = loadStack({ file: undefined }, cx);
 */
export function loadStack(
  options: { file?: string | undefined },
  cx: CliContext,
): { file: string; config: ResolvedConfig } {
  const loaded = readStackConfig(options, cx);
  const color = cx.stderr.isTTY === true && !cx.env.NO_COLOR;
  if ('errors' in loaded) {
    const { errors, warnings } = loaded.errors;
    cx.stderr.write(`${formatErrors([...errors, ...warnings], { color })}\n`);
    throw new ConfigInvalid(`${loaded.file} is not valid: ${errors.length} error(s)`);
  }
  if (loaded.warnings.length > 0) cx.stderr.write(`${formatErrors(loaded.warnings, { color })}\n`);
  return { file: loaded.file, config: loaded.config };
}
