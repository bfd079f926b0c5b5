import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type ConfigOptions, type ParseResult, parseConfig } from '../src/index.js';

/** Parses a configuration text with a fixed environment and folder, so results do not depend on the machine. */
export function parse(text: string, options: ConfigOptions = {}): ParseResult {
  return parseConfig(text, {
    file: 'harness.yaml',
    env: {},
    baseDir: '/srv/shop',
    homeDir: '/home/test',
    ...options,
  });
}

/** The codes and positions of a result's errors, as `CODE@line:column`. */
export function codes(result: ParseResult, which: 'errors' | 'warnings' = 'errors'): string[] {
  return result[which].map((e) => `${e.code}@${e.line}:${e.column}`);
}

/** A temporary folder removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
