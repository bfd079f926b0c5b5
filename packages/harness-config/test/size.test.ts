// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests use the ${…} syntax, written literally
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Diagnostics,
  formatSize,
  harnessJsonSchema,
  INVALID,
  type Node,
  parseSize,
  parseYaml,
  SIZE_UNITS,
  SourceText,
} from '../src/index.js';
import { size } from '../src/schema/scalars.js';
import { codes, parse } from './helpers.js';

/** A service whose `logs.max_size` is `value`, written as is (line 4, column 23). */
const withSize = (value: string) =>
  parse(`services:\n  a:\n    process: { command: x }\n    logs: { max_size: ${value}, keep: 2 }\n`);

describe('sizes', () => {
  it('parses the 1024-based, 1000-based and byte units', () => {
    assert.deepEqual(SIZE_UNITS, {
      B: 1,
      kB: 1000,
      MB: 1_000_000,
      GB: 1_000_000_000,
      KiB: 1024,
      MiB: 1_048_576,
      GiB: 1_073_741_824,
    });
    assert.equal(parseSize('512KiB'), 524_288);
    assert.equal(parseSize('10MiB'), 10_485_760);
    assert.equal(parseSize('1GiB'), 1_073_741_824);
    assert.equal(parseSize('100kB'), 100_000);
    assert.equal(parseSize('5MB'), 5_000_000);
    assert.equal(parseSize('2GB'), 2_000_000_000);
    assert.equal(parseSize('64B'), 64);
    assert.equal(parseSize('1024'), 1024);
    assert.equal(parseSize('0'), 0);
    assert.equal(parseSize('1.5MiB'), 1_572_864);
    assert.equal(parseSize('0.5kB'), 500);
  });

  it('rejects what is not a size', () => {
    for (const text of [
      '',
      '10 MiB',
      '10mb',
      '10Mb',
      '10M',
      '10KB',
      '10k',
      '10TiB',
      '1.5',
      '1.5B',
      '-1',
      '-1MiB',
      'MiB',
      'off',
      '99999999999999GiB',
    ]) {
      assert.equal(parseSize(text), undefined, text);
    }
  });

  it('writes bytes as the shortest exact size', () => {
    assert.equal(formatSize(0), '0');
    assert.equal(formatSize(10_485_760), '10MiB');
    assert.equal(formatSize(65_536), '64KiB');
    assert.equal(formatSize(1_073_741_824), '1GiB');
    assert.equal(formatSize(5_000_000), '5MB');
    assert.equal(formatSize(100_000), '100kB');
    assert.equal(formatSize(1500), '1500B');
    for (const n of [1, 1000, 1024, 123_456_789, 3 * 1024 ** 3]) assert.equal(parseSize(formatSize(n)), n);
  });
});

describe('size()', () => {
  /** Checks the value of `x: <yaml>` with the schema. */
  const check = (yaml: string, schema = size()) => {
    const diag = new Diagnostics(new SourceText('x.yaml', `x: ${yaml}\n`));
    const node = parseYaml(diag)?.entries[0]?.value as Node;
    return { value: schema.check(node, ['x'], diag), problems: diag.errors };
  };

  it('turns numbers and sizes into bytes', () => {
    assert.equal(check('1048576').value, 1_048_576);
    assert.equal(check('64KiB').value, 65_536);
    assert.equal(check('"5MB"').value, 5_000_000);
    assert.equal(check('0').value, 0);
  });

  it('keeps to its lower bound', () => {
    const r = check('512B', size({ min: 1024 }));
    assert.equal(r.value, INVALID);
    assert.equal(r.problems[0]?.code, 'OUT_OF_RANGE');
    assert.equal(r.problems[0]?.message, '512B is out of range: expected a size of at least 1KiB');
  });

  it('describes itself as JSON Schema', () => {
    const json = size().json() as { anyOf: { type: string; pattern?: string; minimum?: number }[] };
    assert.deepEqual(json.anyOf[0], { type: 'integer', minimum: 0 });
    const pattern = new RegExp(json.anyOf[1]?.pattern ?? '');
    for (const ok of ['10MiB', '100kB', '1024', '1.5GiB']) assert.ok(pattern.test(ok), ok);
    for (const bad of ['10mb', '10 MiB', 'off', '10M', '1.5', '1.5B']) assert.ok(!pattern.test(bad), bad);
  });
});

describe('logs in harness.yaml', () => {
  it('defaults to 10 MiB and 3 rotated files', () => {
    const r = parse('services:\n  a:\n    process: { command: x }\n');
    assert.deepEqual(r.config?.services.a?.logs, { maxBytes: 10 * 1024 * 1024, keep: 3 });
  });

  it('takes sizes with units, byte counts, 0 for no rotation, and interpolated sizes', () => {
    assert.deepEqual(withSize('64KiB').config?.services.a?.logs, { maxBytes: 65_536, keep: 2 });
    assert.deepEqual(withSize('100kB').config?.services.a?.logs, { maxBytes: 100_000, keep: 2 });
    assert.deepEqual(withSize('4096').config?.services.a?.logs, { maxBytes: 4096, keep: 2 });
    assert.deepEqual(withSize('0').config?.services.a?.logs, { maxBytes: 0, keep: 2 });
    const r = parse(
      'services:\n  a:\n    process: { command: x }\n    logs: { max_size: "${LOG_MAX:-1GiB}" }\n',
      { env: { LOG_MAX: '2MB' } },
    );
    assert.deepEqual(r.config?.services.a?.logs, { maxBytes: 2_000_000, keep: 3 });
  });

  it('rejects a bad size with its position, what was expected and a hint', () => {
    const cases: [string, string, string, string | undefined][] = [
      [
        '10mb',
        'INVALID_SIZE',
        '"10mb" is not a size',
        'units are case-sensitive: write `10MiB` (powers of 1024) or `10MB` (powers of 1000)',
      ],
      ['10 MiB', 'INVALID_SIZE', '"10 MiB" is not a size', 'write it without a space: `10MiB`'],
      [
        '10KB',
        'INVALID_SIZE',
        '"10KB" is not a size',
        'units are case-sensitive: write `10KiB` (powers of 1024) or `10kB` (powers of 1000)',
      ],
      ['10b', 'INVALID_SIZE', '"10b" is not a size', 'bytes are `B`: `10B`'],
      [
        '1.5B',
        'INVALID_SIZE',
        '"1.5B" is not a size',
        'a number of bytes is whole; give a larger unit for a fraction, e.g. `1.5KiB`',
      ],
      [
        'lots',
        'INVALID_SIZE',
        '"lots" is not a size',
        'use `B`, `kB`, `MB`, `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024), e.g. `512KiB`, `10MiB`',
      ],
      ['off', 'INVALID_SIZE', '"off" is not a size', 'write `0` for no rotation'],
      ['-1', 'INVALID_SIZE', '-1 is not a size: a size cannot be negative', 'write `0` for no rotation'],
      [
        '1.5',
        'INVALID_SIZE',
        '1.5 is not a whole number of bytes',
        'give a unit for a fraction, e.g. `1.5MiB`',
      ],
      ['99999999999999GiB', 'INVALID_SIZE', '"99999999999999GiB" is too large a size', undefined],
      [
        'false',
        'WRONG_TYPE',
        'expected a size like `512KiB`, `10MiB` or `1GB`, or a number of bytes, found the boolean false',
        'write `0` for no rotation',
      ],
      [
        '[1]',
        'WRONG_TYPE',
        'expected a size like `512KiB`, `10MiB` or `1GB`, or a number of bytes, found a list',
        undefined,
      ],
    ];
    for (const [value, code, message, hint] of cases) {
      const r = withSize(value);
      assert.equal(r.config, undefined, value);
      assert.deepEqual(codes(r), [`${code}@4:23`], value);
      const e = r.errors[0];
      assert.equal(e?.path, 'services.a.logs.max_size', value);
      assert.equal(e?.message, message, value);
      assert.equal(e?.hint, hint, value);
      assert.equal(e?.length, value.length, value);
    }
  });

  it('rejects a negative keep, unknown keys, and points a misplaced max_size to logs', () => {
    const keep = parse('services:\n  a:\n    process: { command: x }\n    logs: { keep: -1 }\n');
    assert.deepEqual(codes(keep), ['OUT_OF_RANGE@4:19']);
    assert.equal(keep.errors[0]?.message, '-1 is out of range: expected an integer of at least 0');
    const unknown = parse('services:\n  a:\n    process: { command: x }\n    logs: { max_sise: 1MiB }\n');
    assert.deepEqual(codes(unknown), ['UNKNOWN_KEY@4:13']);
    assert.equal(unknown.errors[0]?.hint, 'did you mean `max_size`?');
    const misplaced = parse('services:\n  a:\n    process: { command: x }\n    max_size: 1MiB\n');
    assert.deepEqual(codes(misplaced), ['UNKNOWN_KEY@4:5']);
    assert.equal(
      misplaced.errors[0]?.hint,
      '`max_size` goes inside `logs:`, e.g. `logs: { max_size: 10MiB }`',
    );
  });

  it('is in the JSON Schema with its defaults', () => {
    const schema = harnessJsonSchema() as {
      properties: { services: { additionalProperties: { properties: Record<string, unknown> } } };
    };
    const logs = schema.properties.services.additionalProperties.properties.logs as {
      properties: Record<string, { default?: unknown }>;
      additionalProperties: boolean;
    };
    assert.equal(logs.properties.max_size?.default, '10MiB');
    assert.equal(logs.properties.keep?.default, 3);
    assert.equal(logs.additionalProperties, false);
  });
});
