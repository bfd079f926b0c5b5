import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './harness.js';
import { isRunning } from '@harness/command-executor/proc';
import { withEnv } from './proc.js';
import type { Entry, Svc, Tool } from './tool.js';
import { cleanup, run, runOk, tempDir, waitFor } from './util.js';

export const PM2_JS = join(REPO, 'bench/node_modules/pm2/bin/pm2');
export const PM2_SETTINGS =
  '`autorestart: true, restart_delay: 0, min_uptime: 0, max_restarts: 1000000, interpreter: none`, fork mode; stop = `pm2 delete all`';
export const SUPERVISORD_SETTINGS =
  '`startsecs=0, autorestart=true, startretries=1000000, stopasgroup/killasgroup=true, stdout_logfile_maxbytes=0`; stop = `supervisorctl stop all`';

export class Pm2 implements Tool {
  readonly name = 'pm2' as const;
  readonly dir = tempDir('pm2');
  private readonly env = { PM2_HOME: join(this.dir, 'home') };
  private readonly eco = join(this.dir, 'ecosystem.json');
  private readonly undo = cleanup.add('pm2', () => this.shutdown());

  cli(args: readonly string[], timeoutMs = 180_000) {
    return runOk(process.execPath, [PM2_JS, ...args], { env: this.env, cwd: this.dir, timeoutMs });
  }

  prepare(svcs: readonly Svc[]): void {
    const apps = svcs.map((s) => ({
      name: s.name,
      script: s.argv[0],
      args: s.argv.slice(1),
      interpreter: 'none',
      exec_mode: 'fork',
      autorestart: s.restart,
      restart_delay: 0,
      min_uptime: 0,
      max_restarts: 1_000_000,
      out_file: join(this.dir, `${s.name}.log`),
      error_file: join(this.dir, `${s.name}.err.log`),
    }));
    writeFileSync(this.eco, JSON.stringify({ apps }));
  }

  async startDaemon(): Promise<void> {
    await this.cli(['ping']);
    this.track();
  }

  async up(): Promise<void> {
    await this.cli(['start', this.eco]);
    this.track();
  }

  private track(): void {
    const pid = this.daemonPid();
    if (pid) cleanup.track(pid);
  }

  async status(): Promise<Map<string, Entry>> {
    const r = await this.cli(['jlist']);
    const start = r.stdout.indexOf('[');
    const rows = JSON.parse(r.stdout.slice(start)) as Array<{
      name: string;
      pid: number;
      pm2_env: { status: string };
    }>;
    return new Map(rows.map((x) => [x.name, { running: x.pm2_env.status === 'online', pid: x.pid }]));
  }

  async down(): Promise<void> {
    await this.cli(['delete', 'all']);
  }

  supervisorPids(): number[] {
    const pid = this.daemonPid();
    return pid === undefined ? [] : [pid];
  }

  daemonPid(): number | undefined {
    const f = join(this.env.PM2_HOME, 'pm2.pid');
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    return pid > 0 && isRunning(pid) ? pid : undefined;
  }

  async shutdown(): Promise<void> {
    this.undo();
    if (this.daemonPid() !== undefined) await this.cli(['kill'], 30_000).catch(() => undefined);
    // Apps a God daemon was still launching when it was killed (an interrupted start) survive it.
    for (const pid of withEnv(`PM2_HOME=${this.env.PM2_HOME}`)) {
      if (pid !== process.pid) process.kill(pid, 'SIGKILL');
    }
  }

  logFiles(service: string): string[] {
    return [join(this.dir, `${service}.log`)];
  }
}

export class Supervisord implements Tool {
  readonly name = 'supervisord' as const;
  readonly dir = tempDir('supervisord');
  private readonly conf = join(this.dir, 'supervisord.conf');
  private child: ChildProcess | undefined;
  private readonly undo = cleanup.add('supervisord', () => this.shutdown());

  constructor(private readonly autostart = true) {}

  ctl(args: readonly string[]) {
    return run('supervisorctl', ['-c', this.conf, ...args], { timeoutMs: 180_000 });
  }

  prepare(svcs: readonly Svc[]): void {
    const d = this.dir;
    const lines = [
      `[unix_http_server]\nfile=${d}/supervisor.sock`,
      `[supervisord]\nlogfile=${d}/supervisord.log\npidfile=${d}/supervisord.pid\nchildlogdir=${d}\nnodaemon=true\nminfds=4096`,
      '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      `[supervisorctl]\nserverurl=unix://${d}/supervisor.sock`,
    ];
    for (const s of svcs) {
      lines.push(
        [
          `[program:${s.name}]`,
          `command=${s.argv.map(supervisorWord).join(' ')}`,
          `autostart=${this.autostart}`,
          `autorestart=${s.restart}`,
          'startsecs=0',
          'startretries=1000000',
          'stopasgroup=true',
          'killasgroup=true',
          'redirect_stderr=true',
          `stdout_logfile=${d}/${s.name}.log`,
          'stdout_logfile_maxbytes=0',
        ].join('\n'),
      );
    }
    writeFileSync(this.conf, `${lines.join('\n\n')}\n`);
  }

  private spawnDaemon(): void {
    const child = spawn('supervisord', ['-c', this.conf], { stdio: 'ignore', detached: true });
    this.child = child;
    if (child.pid) cleanup.track(child.pid);
  }

  async startDaemon(): Promise<void> {
    this.spawnDaemon();
    await waitFor(
      'supervisord socket',
      async () => ((await this.ctl(['pid'])).code === 0 ? true : undefined),
      20_000,
      10,
    );
  }

  async up(): Promise<void> {
    if (this.daemonPid() === undefined) {
      this.spawnDaemon();
      return;
    }
    const r = await this.ctl(['start', 'all']);
    if (r.code !== 0) throw new Error(`supervisorctl start all exited ${r.code}: ${r.stdout.slice(-300)}`);
  }

  async status(): Promise<Map<string, Entry>> {
    const r = await this.ctl(['status']); // exits 3 when some program is not running
    const out = new Map<string, Entry>();
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+)\s+(\S+)\s*(?:pid (\d+))?/.exec(line);
      if (m?.[1] && m[2]) out.set(m[1], { running: m[2] === 'RUNNING', pid: Number(m[3] ?? 0) });
    }
    return out;
  }

  async down(): Promise<void> {
    const r = await this.ctl(['stop', 'all']);
    if (r.code !== 0) throw new Error(`supervisorctl stop all exited ${r.code}`);
  }

  supervisorPids(): number[] {
    const pid = this.daemonPid();
    return pid === undefined ? [] : [pid];
  }

  daemonPid(): number | undefined {
    const pid = this.child?.pid;
    return pid && isRunning(pid) ? pid : undefined;
  }

  async shutdown(): Promise<void> {
    this.undo();
    const pid = this.daemonPid();
    if (pid === undefined) return;
    await this.ctl(['shutdown']).catch(() => undefined);
    await waitFor('supervisord exit', () => (isRunning(pid) ? undefined : true), 10_000).catch(() =>
      process.kill(pid, 'SIGKILL'),
    );
  }

  logFiles(service: string): string[] {
    return [join(this.dir, `${service}.log`)];
  }
}

/** Installs supervisor when missing (as root), as the bench's one system dependency. */
export async function ensureSupervisord(): Promise<void> {
  if ((await run('sh', ['-c', 'command -v supervisord'])).code === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error('supervisord is missing: install the Debian package `supervisor`');
  process.stderr.write('installing supervisor (apt-get)…\n');
  await runOk('apt-get', ['update'], { timeoutMs: 120_000 });
  await runOk('apt-get', ['install', '-y', 'supervisor'], {
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    timeoutMs: 180_000,
  });
}

/**
 * One word of a supervisord `command=`: split by shlex, so quoted when it holds more than plain
 * characters, and `%` doubled (the file's values are %-interpolated).
 */
function supervisorWord(word: string): string {
  const quoted = /^[\w./=:-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
  return quoted.replaceAll('%', '%%');
}
