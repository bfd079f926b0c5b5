import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/index.js';

/**
 * The corpus of broken files. The first line of each file says what must be reported, every error
 * in order: `# expect: CODE@LINE:COLUMN [CODE@LINE:COLUMN …]`.
 */
const dir = fileURLToPath(new URL('./fixtures/invalid/', import.meta.url));
const env = { HOME: '/home/test', SET_VAR: 'value', EMPTY_VAR: '' };
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('invalid corpus', () => {
  it('holds at least 50 broken files', () => {
    assert.ok(files.length >= 50, `only ${files.length} files`);
  });

  for (const name of files) {
    it(`${name} reports what its first line expects`, () => {
      const text = readFileSync(join(dir, name), 'utf8');
      const m = /^# expect: (.+)$/m.exec(text.split('\n')[0] ?? '');
      assert.ok(m?.[1], `${name} has no "# expect:" first line`);
      const expected = m[1].trim().split(/\s+/);
      const result = parseConfig(text, { file: name, env, baseDir: dir, homeDir: '/home/test' });
      const actual = result.errors.map((e) => `${e.code}@${e.line}:${e.column}`);
      assert.deepEqual(actual, expected, result.errors.map((e) => `${e.code} ${e.message}`).join('\n'));
      assert.equal(result.config, undefined);
      for (const error of result.errors) {
        assert.ok(error.file === name || error.file.endsWith('.env'), error.file);
        assert.ok(error.message.length > 0);
      }
    });
  }
});
