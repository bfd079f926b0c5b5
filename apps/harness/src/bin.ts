#!/usr/bin/env node
// The `harness` command. Each verb is registered here with its options only; its code is loaded
// with `import()` when the verb runs, so `harness X` loads what X needs and nothing else.
import { Command, CommanderError } from 'commander';
import { runVerb } from './run-verb.js';
import { cliVersion } from './version.js';

const version = cliVersion();

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

const fileOption = [
  '-f, --file <path>',
  'the configuration file (default: harness.yaml here or in a parent folder)',
] as const;

program
  .command('up')
  .description('start the stack (or the named services and what they need) in dependency order')
  .argument('[services...]', 'services to start')
  .option(...fileOption)
  .option('-d, --detach', 'return once every service is up (or one failed) instead of showing logs')
  .action(async (services: string[], options) => {
    process.exitCode = await runVerb(
      () => import('./commands/up.js'),
      (m, cx) => m.up(services, options, cx),
    );
  });

program
  .command('down')
  .description('stop every service in reverse dependency order; return when every process is gone')
  .option(...fileOption)
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/lifecycle.js'),
      (m, cx) => m.down(options, cx),
    );
  });

program
  .command('ps')
  .description('one row per service replica: state, health, pid, restarts, uptime, ports')
  .option(...fileOption)
  .option('--json', 'print an array of objects')
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/ps.js'),
      (m, cx) => m.ps(options, cx),
    );
  });

program
  .command('logs')
  .description("show services' logs (all services when none is named)")
  .argument('[services...]', 'services whose logs to show')
  .option(...fileOption)
  .option('--follow', 'keep showing new lines until Ctrl-C')
  .option('-n, --lines <n>', 'lines of each log to show first (a number or "all"; default 100)')
  .action(async (services: string[], options) => {
    process.exitCode = await runVerb(
      () => import('./commands/logs.js'),
      (m, cx) => m.logs(services, options, cx),
    );
  });

for (const verb of ['start', 'stop', 'restart'] as const) {
  program
    .command(verb)
    .description(`${verb} the named services`)
    .argument('<services...>', `services to ${verb}`)
    .option(...fileOption)
    .action(async (services: string[], options) => {
      process.exitCode = await runVerb(
        () => import('./commands/lifecycle.js'),
        (m, cx) => m.lifecycle(verb, services, options, cx),
      );
    });
}

program
  .command('events')
  .description('show lifecycle events as they happen')
  .option('--json', 'one JSON object per line')
  .option('--stack <name>', 'only this stack')
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/events.js'),
      (m, cx) => m.events(options, cx),
    );
  });

const daemon = program.command('daemon').description('start, stop or inspect the per-user daemon');
daemon
  .command('start')
  .description('start the daemon in the background')
  .action(async () => {
    process.exitCode = await runVerb(
      () => import('./commands/daemon.js'),
      (m, cx) => m.start(cx),
    );
  });
daemon
  .command('stop')
  .description('stop the daemon (services keep running; the next daemon adopts them)')
  .action(async () => {
    process.exitCode = await runVerb(
      () => import('./commands/daemon.js'),
      (m, cx) => m.stop(cx),
    );
  });
daemon
  .command('status')
  .description('whether the daemon runs, and where (exit 3 when it does not)')
  .option('--json', 'print JSON')
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/daemon.js'),
      (m, cx) => m.status(options, cx),
    );
  });

program
  .command('solo')
  .description('run the daemon in the foreground: controller, worker and server in one process')
  .option('--home <dir>', 'state folder (default: $HARNESS_HOME or ~/.harness)')
  .option('--host <address>', 'address to listen on (default 127.0.0.1)')
  .option('--port <port>', 'port of the WSS client API (default: any free port)')
  .option(
    '--http-port <port>',
    'port of the HTTP side: /health, /metrics, dashboard (default: any free port)',
  )
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/solo.js'),
      (m, cx) => m.solo(options, cx),
    );
  });

program
  .command('controller')
  .description('run the client API (with a local worker unless --no-worker), without the HTTP side')
  .option('--home <dir>', 'state folder (default: $HARNESS_HOME or ~/.harness)')
  .option('--host <address>', 'address to listen on (default 127.0.0.1)')
  .option('--port <port>', 'port of the WSS client API (default: any free port)')
  .option('--no-worker', 'run no local worker: standalone workers (harness worker) run the services')
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/solo.js'),
      (m, cx) => m.solo({ ...options, http: false }, cx),
    );
  });

program
  .command('worker')
  .description('run services on this machine for a controller: register this host and take its calls')
  .requiredOption('--controller <url>', "the controller's client API, wss://HOST:PORT")
  .option('--token-file <file>', "the controller's token (default: <home>/token)")
  .option(
    '--cert-fingerprint <sha256>',
    "the controller's certificate fingerprint, pinned (default: from <home>/endpoint.json)",
  )
  .option('--home <dir>', "the worker's folder; state in <home>/state (default: $HARNESS_HOME or ~/.harness)")
  .option('--host <name>', "the host name to register (default: this machine's name)")
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/worker.js'),
      (m, cx) => m.worker(options, cx),
    );
  });

program
  .command('server')
  .description('run the HTTP read side alone, reading from the daemon')
  .option('--host <address>', 'address to listen on (default 127.0.0.1)')
  .option('--http-port <port>', 'port to listen on (default: any free port)')
  .action(async (options) => {
    process.exitCode = await runVerb(
      () => import('./commands/server.js'),
      (m, cx) => m.server(options, cx),
    );
  });

program
  .command('completion')
  .description('print a shell completion script')
  .argument('<shell>', 'bash or zsh')
  .action(async (shell: string) => {
    process.exitCode = await runVerb(
      () => import('./commands/completion.js'),
      (m, cx) => m.completion(shell, cx),
    );
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Help and --version exit 0; a usage mistake (commander has printed it) exits 2.
  process.exitCode = error.exitCode === 0 ? 0 : 2;
}
