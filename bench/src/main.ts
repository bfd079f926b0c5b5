import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chain, logThroughput, spawnFloor } from './extra.js';
import { HARNESS_BIN, HARNESS_SETTINGS, REPO } from './harness.js';
import { PM2_SETTINGS, SUPERVISORD_SETTINGS, ensureSupervisord } from './peers.js';
import { machine } from './proc.js';
import { table } from './report.js';
import { TOOLS, type ToolName } from './tool.js';
import { cleanup, runOk } from './util.js';
import { type Results, failures, rss1000, startPsStop, steady } from './workloads.js';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--tools='))
  ?.slice(8)
  .split(',') as ToolName[] | undefined;
const tools = only ?? TOOLS;
/** `--only=start,steady,1000,logs,chain`: a subset of the workloads, printed but not written to the docs. */
const PHASES = ['floors', 'start', 'steady', '1000', 'logs', 'chain'] as const;
const onlyPhases = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const unknownPhase = onlyPhases?.find((p) => !(PHASES as readonly string[]).includes(p));
if (unknownPhase !== undefined) {
  process.stderr.write(`bench: unknown workload "${unknownPhase}" in --only (one of ${PHASES.join(', ')})\n`);
  process.exit(2);
}
const runs = (p: (typeof PHASES)[number]) => onlyPhases === undefined || onlyPhases.includes(p);
const P = quick
  ? { reps: 2, ps: 5, idleS: 10, kills: 20, lines: 2_000_000, chainReps: 2, budgetS: 420 }
  : { reps: 5, ps: 10, idleS: 30, kills: 30, lines: 2_000_000, chainReps: 5, budgetS: 600 };
const log = (s: string) => process.stderr.write(`${s}\n`);

let stopping = false;
async function bail(code: number, why: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    log(`\n${why}: cleaning up…`);
    await cleanup.runAll();
  }
  process.exit(code);
}
process.on('SIGINT', () => void bail(130, 'interrupted'));
process.on('SIGTERM', () => void bail(143, 'terminated'));
process.on('unhandledRejection', (e) => {
  // Commands killed by the cleanup reject while it runs: expected then.
  if (!stopping) void bail(1, `bench failed: ${(e as Error).message}`);
});
const deadline = setTimeout(() => void bail(1, `over the ${P.budgetS} s budget`), P.budgetS * 1000 + 30_000);
deadline.unref();

async function versions(): Promise<Record<string, string>> {
  const h = await runOk(process.execPath, [HARNESS_BIN, '--version']);
  const pm2 = JSON.parse(readFileSync(join(REPO, 'bench/node_modules/pm2/package.json'), 'utf8')) as {
    version: string;
  };
  const sv = await runOk('supervisord', ['--version']);
  return { harness: h.stdout.trim(), pm2: pm2.version, supervisord: sv.stdout.trim(), node: process.version };
}

async function phase(name: string, fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  log(`${name}…`);
  await fn();
  log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function writeDoc(v: Record<string, string>, md: string, seconds: number): void {
  const file = join(REPO, 'docs/benchmarks.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const misses = old.indexOf('\n## Misses');
  const m = machine();
  const doc = [
    '# Benchmarks',
    '',
    'Harness and its peers, measured **in the same run, on the same workloads**, by `pnpm bench`',
    `(\`bench/\`). This run: \`pnpm bench${quick ? ' --quick' : ''}\`, ${new Date().toISOString().slice(0, 10)}, ${seconds.toFixed(0)} s.`,
    '',
    `- Machine: ${m.cores} cores, ${m.memGiB.toFixed(1)} GiB memory, Linux ${m.kernel}.`,
    `- Versions: harness ${v.harness}, PM2 ${v.pm2}, supervisord ${v.supervisord}, Node ${v.node}.`,
    `- Repetitions: ${P.reps} per start/stop workload, ${P.ps * P.reps} status listings, ${P.kills} SIGKILLs per tool, idle ${P.idleS} s, ${P.chainReps} chains.`,
    '',
    md,
    '',
    ...failures.map((f) => `**Failed:** ${f}`),
    ...(failures.length > 0 ? [''] : []),
    'Cells are medians, with the best sample in brackets. Ratios compare medians; for throughput a',
    'ratio above 1 means Harness is faster. "floor" is what the machine does with no supervisor.',
    '',
    '## Best-case settings',
    '',
    `- harness: ${HARNESS_SETTINGS}; run as the CLI (\`up -d\`, \`ps --json\`, \`down\`).`,
    `- pm2: ${PM2_SETTINGS}; status = \`pm2 jlist\`.`,
    `- supervisord: ${SUPERVISORD_SETTINGS}; status = \`supervisorctl status\`; cold start = spawning supervisord with \`autostart=true\`.`,
    '- Every tool gets a fresh temporary home. Start is timed until the start command has returned and',
    '  every `sleep` is alive under the daemon (/proc); then each tool must list all services as running',
    '  and the processes must be alive, or the bench fails. Stop is timed until every process is gone.',
    '- Crash → restart: SIGKILL one service process, then watch the children of its parent (the',
    '  daemon; for harness its spawn server) for a new one (`/proc/PID/task/*/children`, a fraction',
    '  of a ms per look). 100 ms between kills.',
    '- RSS: VmRSS of the daemon plus its helpers (harness `solo` + its spawn server, the PM2 God',
    '  daemon, supervisord). Idle CPU: utime+stime of the same processes over the idle window, all',
    '  three idle at once, after 1 s of settling.',
    '- Logs: `seq 1 2000000` as a one-shot service with log rotation off in every tool (harness',
    '  `logs: { max_size: 0 }`), timed from the moment the service starts writing (it stamps the clock',
    "  just before it execs `seq`) until the tool's log files hold every byte; starting it is workload 1.",
    '  Chain: overhead per edge =',
    "  (`up -d` of 10 − `up -d` of 1 − 9 × a server's own time to listen) / 9.",
    '',
  ].join('\n');
  writeFileSync(file, `${doc}${misses >= 0 ? old.slice(misses) : ''}`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  await ensureSupervisord();
  const v = await versions();
  log(`harness ${v.harness}, pm2 ${v.pm2}, supervisord ${v.supervisord}; ${quick ? 'quick' : 'full'} run`);
  const res: Results = {};
  try {
    if (runs('floors')) await phase('floors (8)', () => spawnFloor(res, P.reps));
    if (runs('start'))
      await phase('start / status / stop, 100 services (1, 2, 5)', () =>
        startPsStop(res, P.reps, P.ps, tools),
      );
    if (runs('steady'))
      await phase('idle, RSS and crashes, 100 services (3, 4)', () => steady(res, P.idleS, P.kills, tools));
    if (runs('1000')) await phase('1000 services (4)', () => rss1000(res, tools));
    if (runs('logs')) await phase('log throughput (6)', () => logThroughput(res, P.lines, tools));
    if (runs('chain') && tools.includes('harness'))
      await phase('dependency chain (7)', () => chain(res, P.chainReps));
  } finally {
    await cleanup.runAll();
  }
  const { md, verdicts } = table(res);
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`\n${md}\n\n`);
  for (const x of verdicts.filter((y) => !y.met)) process.stdout.write(`missed: ${x.label}\n`);
  if (onlyPhases !== undefined) {
    log(`a subset of the workloads (--only): docs/benchmarks.md left as it is (${seconds.toFixed(0)} s)`);
    return;
  }
  writeDoc(v, md, seconds);
  log(`docs/benchmarks.md written (${seconds.toFixed(0)} s)`);
}

main().catch((e: Error) => bail(1, `bench failed: ${e.message}`));
