// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about the ${…} syntax, written literally
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ConfigErrors,
  findConfigFile,
  loadConfig,
  parseConfig,
  readConfigFile,
  ServiceGraph,
} from '../src/index.js';
import { tempDir } from './helpers.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof ConfigErrors ? e.errors[0]?.code : `not ConfigErrors: ${String(e)}`;
  }
  return undefined;
};

describe('loadConfig', () => {
  it('loads a file, resolving paths and env files next to it', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, '.env'), 'PORT=9000\n');
    writeFileSync(
      join(dir, 'harness.yaml'),
      'name: demo\nenv_file: .env\nservices:\n  web:\n    process: { command: "serve -p ${PORT}" }\n    ports: { http: "${PORT}" }\n',
    );
    const { config, warnings } = loadConfig(join(dir, 'harness.yaml'), { env: {} });
    assert.deepEqual(warnings, []);
    assert.equal(config.name, 'demo');
    assert.equal(config.dir, dir);
    assert.deepEqual(config.services.web?.ports, { http: 9000 });
    assert.deepEqual(config.services.web?.target, {
      kind: 'process',
      command: { shell: true, script: 'serve -p 9000' },
      cwd: dir,
    });
  });

  it('throws every error at once, with warnings', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'harness.yaml');
    writeFileSync(
      file,
      'services:\n  a: { process: { command: "run ${X}" }, restrat: 1 }\n  b: { process: { command: y }, replicas: 0 }\n',
    );
    try {
      loadConfig(file, { env: {} });
      assert.fail('expected ConfigErrors');
    } catch (e) {
      assert.ok(e instanceof ConfigErrors);
      assert.deepEqual(
        e.errors.map((x) => x.code),
        ['UNKNOWN_KEY', 'OUT_OF_RANGE'],
      );
      assert.deepEqual(
        e.warnings.map((x) => x.code),
        ['UNSET_VARIABLE'],
      );
      assert.equal(e.errors[0]?.file, file);
    }
  });

  it('says clearly when the file is missing, a folder, huge or binary', (t) => {
    const dir = tempDir(t);
    assert.equal(
      codeOf(() => loadConfig(join(dir, 'nope.yaml'))),
      'FILE_NOT_FOUND',
    );
    mkdirSync(join(dir, 'folder.yaml'));
    assert.equal(
      codeOf(() => loadConfig(join(dir, 'folder.yaml'))),
      'FILE_UNREADABLE',
    );
    writeFileSync(join(dir, 'huge.yaml'), `services: {}\n${'# padding\n'.repeat(200)}`);
    assert.equal(
      codeOf(() => loadConfig(join(dir, 'huge.yaml'), { maxBytes: 1000 })),
      'FILE_TOO_LARGE',
    );
    writeFileSync(join(dir, 'nul.yaml'), Buffer.from([0x61, 0x3a, 0x00, 0x01]));
    assert.equal(
      codeOf(() => loadConfig(join(dir, 'nul.yaml'))),
      'FILE_BINARY',
    );
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    assert.equal(
      codeOf(() => loadConfig(join(dir, 'latin1.yaml'))),
      'FILE_BINARY',
    );
    writeFileSync(join(dir, 'empty.yaml'), '');
    assert.equal(
      codeOf(() => loadConfig(join(dir, 'empty.yaml'))),
      'FILE_EMPTY',
    );
  });

  it('reads a UTF-8 file with a byte order mark', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'bom.yaml'), '\uFEFFservices: {}\n');
    assert.ok(readConfigFile(join(dir, 'bom.yaml')).startsWith('services'));
    assert.equal(loadConfig(join(dir, 'bom.yaml')).config.name.length > 0, true);
  });
});

describe('parseConfig', () => {
  it('never throws, and rejects text over the size limit', () => {
    const r = parseConfig('services: {}\n', { maxBytes: 4, env: {} });
    assert.equal(r.config, undefined);
    assert.equal(r.errors[0]?.code, 'FILE_TOO_LARGE');
  });

  it('uses the process environment by default', () => {
    const r = parseConfig('services:\n  a: { process: { command: "${HARNESS_CONFIG_TEST_VAR:-unset}" } }\n', {
      baseDir: '/x',
    });
    assert.deepEqual(r.config?.services.a?.target, {
      kind: 'process',
      command: { shell: true, script: 'unset' },
      cwd: '/x',
    });
  });
});

describe('findConfigFile', () => {
  it('finds harness.yaml in the folder or the nearest parent', (t) => {
    const dir = tempDir(t);
    const deep = join(dir, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    assert.equal(findConfigFile(deep), undefined);
    writeFileSync(join(dir, 'harness.yaml'), 'services: {}\n');
    assert.equal(findConfigFile(deep), join(dir, 'harness.yaml'));
    writeFileSync(join(dir, 'a', 'harness.yml'), 'services: {}\n');
    assert.equal(findConfigFile(deep), join(dir, 'a', 'harness.yml'));
  });
});

describe('the examples the README shows', () => {
  const example = (name: string) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));

  it('shop.yaml loads, with start waves db + cache → api', () => {
    const { config, warnings } = loadConfig(example('shop.yaml'), { env: {} });
    assert.deepEqual(warnings, []);
    assert.deepEqual(ServiceGraph.fromConfig(config).startWaves(), [['db', 'cache'], ['api']]);
  });

  it('broken.yaml reports its three errors', () => {
    assert.throws(
      () => loadConfig(example('broken.yaml'), { env: {} }),
      (e: unknown) =>
        e instanceof ConfigErrors &&
        e.errors.map((x) => `${x.code}@${x.line}:${x.column}`).join(' ') ===
          'MISSING_VARIABLE@4:38 INVALID_VALUE@8:23 UNKNOWN_KEY@9:5',
    );
  });
});
