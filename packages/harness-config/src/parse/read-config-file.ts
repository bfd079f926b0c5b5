import { readFileSync, statSync } from 'node:fs';
import { type ConfigErrorCode, ConfigError } from '../errors/config-error.js';

/** Default largest configuration file read: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Reads a configuration file as UTF-8 text, with a clear error for a missing, unreadable, huge or
 * binary file (codes `FILE_NOT_FOUND`, `FILE_UNREADABLE`, `FILE_TOO_LARGE`, `FILE_BINARY`). `name` is
 * how messages call the file (default: `file`).
 *
 * @example
 * const text = readConfigFile('harness.yaml'); // throws ConfigError { code: 'FILE_NOT_FOUND' } if absent
 */
export function readConfigFile(file: string, maxBytes = DEFAULT_MAX_BYTES, name = file): string {
  const fail = (code: ConfigErrorCode, message: string, hint?: string): never => {
    throw new ConfigError({ code, file: name, line: 0, column: 0, path: '', message, hint });
  };
  let size = 0;
  try {
    const stat = statSync(file);
    if (stat.isDirectory())
      fail('FILE_UNREADABLE', `${name} is a folder, not a file`, 'point -f at a harness.yaml file');
    size = stat.size;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') fail('FILE_NOT_FOUND', `${name} does not exist`);
    fail('FILE_UNREADABLE', `${name} cannot be read (${code ?? 'unknown error'})`);
  }
  if (size > maxBytes) {
    fail(
      'FILE_TOO_LARGE',
      `${name} is ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} a configuration may be`,
      'is this the right file?',
    );
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return fail(
      'FILE_UNREADABLE',
      `${name} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
    );
  }
  if (bytes.includes(0))
    fail('FILE_BINARY', `${name} is not a text file (it holds NUL bytes)`, 'point -f at a harness.yaml file');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return fail('FILE_BINARY', `${name} is not UTF-8 text`, 'save it as UTF-8');
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
