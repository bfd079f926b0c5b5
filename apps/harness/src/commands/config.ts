import { formatConfigYaml, formatErrors } from '@harness/harness-config';
import type { CliContext } from '../context.js';
import { readStackConfig } from '../load-stack.js';

/** Options of `harness config validate` and `harness config print`. */
export interface ConfigVerbOptions {
  readonly file?: string;
  readonly json?: boolean;
}

const color = (cx: CliContext): boolean => cx.stderr.isTTY === true && !cx.env.NO_COLOR;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `harness config validate`: exit 0 with a one-line summary, or 1 with every problem on stderr.
 *
 * @example
 * process.exitCode = await validate({ file: 'harness.yaml' }, processContext());
 */
export async function validate(options: ConfigVerbOptions, cx: CliContext): Promise<number> {
  const loaded = readStackConfig(options, cx);
  const errors = 'errors' in loaded ? loaded.errors.errors : [];
  const warnings = 'errors' in loaded ? loaded.errors.warnings : loaded.warnings;
  if (options.json) {
    const summary =
      'config' in loaded
        ? {
            name: loaded.config.name,
            services: Object.keys(loaded.config.services).length,
            hosts: Object.keys(loaded.config.hosts).length,
          }
        : undefined;
    const out = {
      file: loaded.file,
      ok: errors.length === 0,
      ...(summary ? { stack: summary } : {}),
      errors,
      warnings,
    };
    cx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return errors.length === 0 ? 0 : 1;
  }
  if (warnings.length > 0 || errors.length > 0) {
    cx.stderr.write(`${formatErrors([...errors, ...warnings], { color: color(cx) })}\n`);
  }
  if (!('config' in loaded)) {
    cx.stderr.write(`${loaded.file}: invalid — ${plural(errors.length, 'error')}\n`);
    return 1;
  }
  const { config } = loaded;
  const parts = [
    `stack "${config.name}"`,
    plural(Object.keys(config.services).length, 'service'),
    plural(Object.keys(config.hosts).length, 'host'),
    ...(warnings.length > 0 ? [plural(warnings.length, 'warning')] : []),
  ];
  cx.stdout.write(`${loaded.file}: ok — ${parts.join(', ')}\n`);
  return 0;
}

/**
 * `harness config print`: the resolved configuration as YAML (or `--json`), exit 0; or the problems
 * on stderr, exit 1.
 *
 * @example
 * process.exitCode = await print({ json: true }, processContext());
 */
export async function print(options: ConfigVerbOptions, cx: CliContext): Promise<number> {
  const loaded = readStackConfig(options, cx);
  if (!('config' in loaded)) {
    const all = [...loaded.errors.errors, ...loaded.errors.warnings];
    cx.stderr.write(`${formatErrors(all, { color: color(cx) })}\n`);
    return 1;
  }
  if (loaded.warnings.length > 0) cx.stderr.write(`${formatErrors(loaded.warnings, { color: color(cx) })}\n`);
  cx.stdout.write(
    options.json ? `${JSON.stringify(loaded.config, null, 2)}\n` : formatConfigYaml(loaded.config),
  );
  return 0;
}
