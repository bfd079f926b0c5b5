import { stringify } from 'yaml';
import type { ResolvedConfig } from './resolve/types.js';
import { type TextValue, textToSource } from './resolve/text.js';

function isTemplate(value: unknown): value is Exclude<TextValue, string> {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'template';
}

function readable(value: unknown): unknown {
  if (isTemplate(value)) return textToSource(value);
  if (Array.isArray(value)) return value.map(readable);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = readable(v);
    return out;
  }
  return value;
}

/**
 * The resolved configuration as YAML for people: every default shown, durations in milliseconds,
 * and strings holding service references written back as `${services.…}`. (`JSON.stringify` gives
 * the exact data, references as typed parts.)
 *
 * @example
 * process.stdout.write(formatConfigYaml(config));
 */
export function formatConfigYaml(config: ResolvedConfig): string {
  return stringify(readable(config), { lineWidth: 0 });
}
