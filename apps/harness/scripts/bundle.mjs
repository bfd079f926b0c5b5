// Bundles the CLI into dist/: bin.js plus the chunks its verbs load on demand. One file per verb
// instead of a module graph of ~100 files across the workspace makes a short command (`harness
// ps`) start in about half the time. Run after `tsc`, which type-checks and emits declarations;
// this overwrites tsc's dist/bin.js with the bundled entry.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

for (const f of readdirSync('dist')) if (/^chunk-.*\.js(\.map)?$/.test(f)) rmSync(`dist/${f}`);

await build({
  entryPoints: ['src/bin.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Chunks sit next to bin.js, so `new URL('../package.json', import.meta.url)` and
  // `new URL('./bin.js', import.meta.url)` mean the same in every chunk as in tsc's output.
  chunkNames: 'chunk-[hash]',
  // ws loads these native accelerators when installed and works without them.
  external: ['bufferutil', 'utf-8-validate'],
  // CommonJS dependencies (commander, ws) call require(); give the bundle a real one.
  banner: {
    js: "import { createRequire as __harnessRequire } from 'node:module'; const require = __harnessRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
