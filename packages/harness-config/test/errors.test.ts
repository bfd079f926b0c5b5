import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigError,
  ConfigErrors,
  closest,
  didYouMean,
  editDistance,
  formatError,
  formatErrors,
  formatPath,
} from '../src/index.js';
import { parse } from './helpers.js';

describe('suggestions', () => {
  it('measures edit distance with transpositions', () => {
    assert.equal(editDistance('restart', 'restart'), 0);
    assert.equal(editDistance('restrat', 'restart'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('suggests only close names', () => {
    assert.equal(closest('depend_on', ['depends_on', 'disabled']), 'depends_on');
    assert.equal(closest('PORTS', ['ports']), 'ports');
    assert.equal(closest('zzz', ['depends_on']), undefined);
    assert.equal(didYouMean('x', ['a', 'b'], 5), 'expected one of `a`, `b`');
    assert.equal(didYouMean('x', ['a', 'b']), undefined);
  });
});

describe('formatting', () => {
  const text = 'services:\n  api:\n    process: { command: x }\n    restrat: always\n';
  const result = parse(text);
  const error = result.errors[0];

  it('collects a precise error', () => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.toJSON(), {
      code: 'UNKNOWN_KEY',
      severity: 'error',
      file: 'harness.yaml',
      line: 4,
      column: 5,
      length: 7,
      path: 'services.api.restrat',
      message: 'unknown key `restrat`',
      hint: 'did you mean `restart`?',
      sourceLine: '    restrat: always',
    });
    assert.equal(error.location, 'harness.yaml:4:5');
  });

  it('prints the source line with a caret, like a compiler', () => {
    assert.ok(error);
    assert.equal(
      formatError(error),
      [
        'error[UNKNOWN_KEY]: unknown key `restrat`',
        ' --> harness.yaml:4:5',
        '  |',
        '4 |     restrat: always',
        '  |     ^^^^^^^',
        '  = at: services.api.restrat',
        '  = help: did you mean `restart`?',
      ].join('\n'),
    );
  });

  it('prints whole-file problems without an excerpt, and counts', () => {
    const fileError = new ConfigError({
      code: 'FILE_NOT_FOUND',
      file: 'x.yaml',
      line: 0,
      column: 0,
      path: '',
      message: 'x.yaml does not exist',
    });
    const warning = new ConfigError({
      code: 'NO_SERVICES',
      severity: 'warning',
      file: 'x.yaml',
      line: 1,
      column: 1,
      path: 'services',
      message: 'no services',
      sourceLine: 'services: {}',
    });
    const out = formatErrors([fileError, warning]);
    assert.match(out, /^error\[FILE_NOT_FOUND\]: x\.yaml does not exist\n --> x\.yaml\n/);
    assert.match(out, /warning\[NO_SERVICES\]/);
    assert.match(out, /1 error, 1 warning$/);
    assert.equal(formatErrors([]), '');
    assert.equal(fileError.location, 'x.yaml');
  });

  it('colours on request', () => {
    assert.ok(error);
    assert.ok(formatError(error, { color: true }).startsWith('\u001b[1;31merror[UNKNOWN_KEY]'));
  });

  it('summarises many errors in one exception', () => {
    const many = parse('services:\n  a: { process: { command: x }, restrat: 1, replica: 2 }\n');
    const thrown = new ConfigErrors(many.errors);
    assert.equal(thrown.code, 'INVALID_CONFIG');
    assert.equal(thrown.errors.length, 2);
    assert.match(thrown.message, /^harness\.yaml:2:33: unknown key `restrat` \(and 1 more\)$/);
  });

  it('formats key paths', () => {
    assert.equal(formatPath(['services', 'api', 'ports', 0]), 'services.api.ports[0]');
    assert.equal(formatPath([]), '');
  });
});
