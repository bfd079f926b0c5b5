import { dirname, resolve } from 'node:path';
import { type ConfigError, ConfigErrors } from './errors/config-error.js';
import { Diagnostics } from './errors/diagnostics.js';
import { SourceText } from './errors/source-text.js';
import { interpolate } from './interpolate/interpolate.js';
import type { ReadFile } from './interpolate/read-env-file.js';
import { parseYaml } from './parse/parse-yaml.js';
import { DEFAULT_MAX_BYTES, readConfigFile } from './parse/read-config-file.js';
import { checkReferences } from './resolve/references.js';
import { resolveConfig } from './resolve/resolve.js';
import type { ResolvedConfig } from './resolve/types.js';
import { harnessSchema } from './schema/harness-schema.js';
import { INVALID } from './schema/schema.js';

/** Options of {@link parseConfig} and {@link loadConfig}. */
export interface ConfigOptions {
  /** The process environment used for `${VAR}` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The folder relative paths are resolved against (default: the file's folder). */
  readonly baseDir?: string;
  /** The home folder for `~/` (default: the current user's). */
  readonly homeDir?: string;
  /** Reads env files (default `fs.readFileSync(path, 'utf8')`). */
  readonly readFile?: ReadFile;
  /** Largest configuration accepted, in bytes (default 1 MiB). */
  readonly maxBytes?: number;
  /** Most nodes the document may expand to through aliases (default 100 000). */
  readonly maxNodes?: number;
}

/** Options of {@link loadConfig}. */
export interface LoadOptions extends ConfigOptions {
  /** How messages call the file, e.g. a path relative to the user's folder (default: `path`). */
  readonly name?: string;
}

/** The outcome of {@link parseConfig}: a config when there is no error, and every problem. */
export interface ParseResult {
  readonly config: ResolvedConfig | undefined;
  readonly errors: readonly ConfigError[];
  readonly warnings: readonly ConfigError[];
}

/**
 * Parses, validates, interpolates, resolves and checks a configuration text, collecting every
 * problem. Never throws for a bad configuration.
 *
 * @example
 * const { config, errors } = parseConfig(text, { file: 'harness.yaml', env: { PORT: '8080' } });
 * if (errors.length > 0) console.error(formatErrors(errors));
 */
export function parseConfig(
  text: string,
  options: ConfigOptions & { readonly file?: string } = {},
): ParseResult {
  const file = options.file ?? 'harness.yaml';
  const diag = new Diagnostics(new SourceText(file, text.replace(/^\uFEFF/, '')));
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (Buffer.byteLength(text) > maxBytes) {
    diag.report({
      code: 'FILE_TOO_LARGE',
      range: undefined,
      path: [],
      message: `${file} is larger than ${maxBytes} bytes`,
    });
    return { config: undefined, errors: diag.errors, warnings: diag.warnings };
  }
  const baseDir = options.baseDir ?? dirname(resolve(file));
  const root = parseYaml(diag, { maxNodes: options.maxNodes });
  let config: ResolvedConfig | undefined;
  if (root) {
    const env = options.env ?? process.env;
    const interpolated = interpolate(root, diag, { env, baseDir, readFile: options.readFile });
    const raw = harnessSchema.check(interpolated.root, [], diag);
    if (raw !== INVALID) {
      const resolved = resolveConfig(raw, diag, {
        file,
        baseDir,
        stackEnv: interpolated.stackEnv,
        homeDir: options.homeDir,
        readFile: options.readFile,
      });
      checkReferences(resolved.config, resolved.sites, interpolated.refSites, diag);
      const services = raw.services ?? [];
      if (services.length === 0 && diag.errors.length === 0) {
        const entry = interpolated.root.entries.find((e) => e.key === 'services');
        diag.report({
          code: 'NO_SERVICES',
          severity: 'warning',
          range: entry?.keyRange,
          path: ['services'],
          message: 'the stack has no services',
        });
      }
      config = resolved.config;
    }
  }
  const errors = diag.errors;
  return { config: errors.length === 0 ? config : undefined, errors, warnings: diag.warnings };
}

/**
 * Reads and parses a configuration file. Returns the resolved configuration and its warnings, or
 * throws one {@link ConfigErrors} holding every error (a missing, huge or binary file included).
 *
 * @example
 * try {
 *   const { config, warnings } = loadConfig('harness.yaml');
 * } catch (e) {
 *   if (e instanceof ConfigErrors) console.error(formatErrors(e.errors));
 * }
 */
export function loadConfig(
  path: string,
  options: LoadOptions = {},
): { config: ResolvedConfig; warnings: readonly ConfigError[] } {
  let text: string;
  try {
    text = readConfigFile(path, options.maxBytes, options.name ?? path);
  } catch (error) {
    throw new ConfigErrors([error as ConfigError]);
  }
  const baseDir = options.baseDir ?? dirname(resolve(path));
  const result = parseConfig(text, { ...options, baseDir, file: options.name ?? path });
  if (!result.config) throw new ConfigErrors(result.errors, result.warnings);
  return { config: result.config, warnings: result.warnings };
}
