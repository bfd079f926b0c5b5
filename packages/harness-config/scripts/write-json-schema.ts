// Writes docs/harness.schema.json from the schema description (run: pnpm run schema), formatted
// like the rest of the tree. test/json-schema.test.ts fails when the file is out of date.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { harnessJsonSchema } from '../src/index.js';

const target = fileURLToPath(new URL('../../../docs/harness.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(harnessJsonSchema(), null, 2)}\n`);
const biome = fileURLToPath(new URL('../../../node_modules/.bin/biome', import.meta.url));
spawnSync(biome, ['format', '--write', target], { stdio: 'ignore' });
console.log(`wrote ${target}`);
