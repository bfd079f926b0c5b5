/**
 * The light entry, `@harness/harness-config/light`: what a command needs to find its stack
 * without loading the YAML parser and the validator — for verbs that answer in a few
 * milliseconds, like `harness ps`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defaultStackName, NAMES } from './schema/names.js';

export { CONFIG_FILE_NAMES, findConfigFile } from './parse/find-config-file.js';

/**
 * The stack name of a configuration file, read without parsing it fully — or undefined when a
 * quick read cannot be sure, and the caller must load the file. Sure means: a JSON file, or a
 * YAML block mapping with exactly one `name:` key at the start of a line holding a plain or
 * simply quoted stack name (a missing `name:` in a file with top-level `services:` gives the
 * folder's name, as the loader does). It agrees with `loadConfig` on every file both read.
 *
 * @example
 * quickStackName('/srv/shop/harness.yaml'); // 'shop'
 */
export function quickStackName(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const fallback = defaultStackName(dirname(resolve(file)));
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const data = JSON.parse(text) as unknown;
      if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
      const name = (data as Record<string, unknown>).name;
      if (name === undefined) return fallback;
      return typeof name === 'string' && NAMES.stack.test(name) ? name : undefined;
    } catch {
      return undefined; // flow-style YAML, or broken: the loader tells
    }
  }
  const names = [...text.matchAll(/^name[ \t]*:[ \t]*(.*?)[ \t]*(?:[ \t]#.*)?\r?$/gm)];
  if (names.length > 1) return undefined;
  if (!/^services[ \t]*:/m.test(text) || /^(?:%|---[ \t]*\S|\.\.\.)/m.test(text)) return undefined;
  // Every other document marker, a second document or directives: leave it to the loader.
  if ((text.match(/^---/gm) ?? []).length > 1) return undefined;
  const raw = names[0]?.[1];
  if (raw === undefined) return fallback;
  const value = /^"([^"\\]*)"$/.exec(raw)?.[1] ?? /^'([^']*)'$/.exec(raw)?.[1] ?? raw;
  return NAMES.stack.test(value) ? value : undefined;
}
