import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { harnessJsonSchema } from '../src/index.js';

const committed = new URL('../../../docs/harness.schema.json', import.meta.url);

describe('JSON Schema', () => {
  it('docs/harness.schema.json is generated from the schema description (run `pnpm run schema` to update)', () => {
    const onDisk: unknown = JSON.parse(readFileSync(committed, 'utf8'));
    assert.deepEqual(onDisk, harnessJsonSchema());
  });

  it('describes every service key, with defaults, and forbids unknown keys', () => {
    const schema = harnessJsonSchema() as {
      properties: {
        services: {
          additionalProperties: {
            properties: Record<string, { default?: unknown }>;
            additionalProperties: boolean;
            oneOf: unknown[];
          };
        };
      };
    };
    const service = schema.properties.services.additionalProperties;
    assert.deepEqual(Object.keys(service.properties).sort(), [
      'depends_on',
      'description',
      'disabled',
      'docker',
      'liveness',
      'logs',
      'package',
      'ports',
      'process',
      'readiness',
      'replicas',
      'restart',
      'shutdown',
      'ssh',
    ]);
    assert.equal(service.additionalProperties, false);
    assert.equal(service.properties.replicas?.default, 1);
    assert.equal(service.oneOf.length, 4);
  });
});
