import { harnessSchema } from './harness-schema.js';
import type { JsonSchema } from './schema.js';

/**
 * The JSON Schema (draft-07) of harness.yaml, generated from the same schema description the
 * validator uses. Committed as `docs/harness.schema.json` for editor completion.
 *
 * @example
 * writeFileSync('docs/harness.schema.json', `${JSON.stringify(harnessJsonSchema(), null, 2)}\n`);
 */
export function harnessJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'harness.yaml',
    ...harnessSchema.json(),
  };
}
