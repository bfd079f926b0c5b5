#!/usr/bin/env node
// The `harness` command. Each verb is registered here with its options only; its code is loaded
// with `import()` when the verb runs, so `harness X` loads what X needs and nothing else.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { runVerb } from './run-verb.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('harness')
  .description('Run and supervise a stack of services from one harness.yaml.')
  .version(version, '-V, --version', 'print the version')
  .showSuggestionAfterError()
  .exitOverride();

const config = program.command('config').description('check and show the stack configuration');

config
  .command('validate')
  .description('check harness.yaml and report every problem')
  .option('-f, --file <path>', 'the configuration file (default: harness.yaml here or in a parent folder)')
  .option('--json', 'print the result as JSON')
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/config.js'),
      (m, cx) => m.validate(options, cx),
    );
  });

config
  .command('print')
  .description('print the resolved configuration, every default filled in')
  .option('-f, --file <path>', 'the configuration file (default: harness.yaml here or in a parent folder)')
  .option('--json', 'print JSON (exact data) instead of YAML')
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/config.js'),
      (m, cx) => m.print(options, cx),
    );
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Help and --version exit 0; a usage mistake (commander has printed it) exits 2.
  process.exitCode = error.exitCode === 0 ? 0 : 2;
}
