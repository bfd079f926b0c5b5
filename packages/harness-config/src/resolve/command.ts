import type { RawCommand } from '../schema/harness-schema.js';
import type { TextPart, TextValue } from './text.js';
import { toTextValue } from './text.js';
import type { ServiceCommand } from './types.js';

/**
 * Turns a checked command into its resolved form: a string runs through `sh -c`, a list is argv.
 *
 * @example
 * toCommand('postgres -D ./data'); // { shell: true, script: 'postgres -D ./data' }
 * toCommand(['node', 'server.js']); // { shell: false, argv: ['node', 'server.js'] }
 */
export function toCommand(raw: RawCommand): ServiceCommand {
  return Array.isArray(raw) ? { shell: false, argv: raw } : { shell: true, script: raw as TextValue };
}

/**
 * Splits `host:port` at its last `:` (templates included): a port of digits becomes a number.
 *
 * @example
 * splitHostPort('127.0.0.1:5432'); // { host: '127.0.0.1', port: 5432 }
 */
export function splitHostPort(value: TextValue | number): { host: TextValue; port: number | TextValue } {
  if (typeof value === 'number') return { host: '127.0.0.1', port: value };
  const parts: readonly TextPart[] = typeof value === 'string' ? [value] : value.parts;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i];
    if (typeof part !== 'string') continue;
    const colon = part.lastIndexOf(':');
    if (colon < 0) continue;
    const host = toTextValue([...parts.slice(0, i), part.slice(0, colon)]);
    const port = toTextValue([part.slice(colon + 1), ...parts.slice(i + 1)]);
    return { host, port: typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port };
  }
  return { host: '127.0.0.1', port: value };
}
