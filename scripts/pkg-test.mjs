#!/usr/bin/env node
// Runs one package's tests: node:test on the TypeScript sources (via tsx) under c8.
// Usage (from a package folder): node ../../scripts/pkg-test.mjs [--lines N] [--built] [test files…]
// Writes a TAP copy to .test-results/tap.txt so the root test script can add up the totals.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
let lines = '0';
let built = false;
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--lines') lines = argv[++i] ?? '0';
  // --built: tests also run the built dist/ in child processes; count that coverage too,
  // mapped back to src/ through the source maps.
  else if (argv[i] === '--built') built = true;
  else files.push(argv[i]);
}
if (files.length === 0) {
  const dir = 'test';
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.ts')) files.push(join(dir, f));
  }
}
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}
mkdirSync('.test-results', { recursive: true });
const c8 = [
  '--reporter=text-summary',
  '--reporter=text',
  '--reports-dir=coverage',
  '--all',
  '--src=src',
  '--include=src/**',
  '--exclude=src/**/*.d.ts',
  ...(built ? ['--exclude-after-remap'] : []),
  ...(lines !== '0' ? ['--check-coverage', `--lines=${lines}`] : []),
];
const node = [
  process.execPath,
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  '--test-reporter-destination=.test-results/tap.txt',
  ...files,
];
const bin = join(process.cwd(), 'node_modules', '.bin', 'c8');
const r = spawnSync(existsSync(bin) ? bin : 'c8', [...c8, ...node], { stdio: 'inherit' });
process.exit(r.status ?? 1);
