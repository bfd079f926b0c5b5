#!/usr/bin/env node
// Adds up the TAP results that every package's test run left in .test-results/tap.txt
// and prints one closing line: "tests: N passed, N failed".
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let pass = 0;
let fail = 0;
let skipped = 0;
const rows = [];
for (const group of ['packages', 'services', 'apps', 'bench']) {
  if (!existsSync(group)) continue;
  const dirs = group === 'bench' ? ['.'] : readdirSync(group);
  for (const d of dirs) {
    const dir = group === 'bench' ? group : join(group, d);
    const tap = join(dir, '.test-results', 'tap.txt');
    if (!existsSync(tap)) continue;
    const text = readFileSync(tap, 'utf8');
    const num = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const p = num('pass');
    const f = num('fail') + num('cancelled');
    const s = num('skipped') + num('todo');
    pass += p;
    fail += f;
    skipped += s;
    rows.push(`  ${dir.padEnd(40)} ${String(p).padStart(5)} passed ${String(f).padStart(3)} failed`);
  }
}
console.log('\nTest totals by package:');
for (const r of rows) console.log(r);
console.log(`tests: ${pass} passed, ${fail} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(fail > 0 || pass === 0 ? 1 : 0);
