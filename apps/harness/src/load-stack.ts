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
  const file = locateConfig(options.file, cx.cwd);
  const color = cx.stderr.isTTY === true && !cx.env.NO_COLOR;
  try {
    const { config, warnings } = loadConfig(resolve(cx.cwd, file), { env: cx.env, name: file });
    if (warnings.length > 0) cx.stderr.write(`${formatErrors(warnings as ConfigError[], { color })}\n`);
    return { file, config };
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    const first = error.errors[0];
    if (error.errors.length === 1 && first?.code === 'FILE_NOT_FOUND') {
      throw new UsageError('CONFIG_NOT_FOUND', first.message);
    }
    cx.stderr.write(`${formatErrors([...error.errors, ...error.warnings], { color })}\n`);
    throw new ConfigInvalid(`${file} is not valid: ${error.errors.length} error(s)`);
  }
}
