import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry, Svc, Tool } from './tool.js';
import { isRunning, readProcStat } from '@harness/command-executor/proc';
import { childrenOf } from './proc.js';
import { cleanup, runOk, tempDir, waitFor } from './util.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const HARNESS_BIN = join(REPO, 'apps/harness/dist/bin.js');

export const HARNESS_SETTINGS =
  'restart `{ policy: always, backoff: { initial: 0ms, max: 0ms }, max_restarts: 1000000 }`; readiness `tcp` with `interval: 10ms` (chain)';

/** Extra keys for a service, beyond its command and restart. */
export type ServiceExtra = (svc: Svc) => Record<string, unknown>;

export class Harness implements Tool {
  readonly name = 'harness' as const;
  readonly dir = tempDir('harness');
  readonly home = join(this.dir, 'home');
  readonly file = join(this.dir, 'harness.yaml');
  readonly stack = 'bench';
  private readonly env = { HARNESS_HOME: this.home, NO_COLOR: '1' };
  private readonly undo: () => void;

  constructor(private readonly extra: ServiceExtra = () => ({})) {
    this.undo = cleanup.add('harness', () => this.shutdown());
  }

  cli(args: readonly string[], timeoutMs = 180_000) {
    return runOk(process.execPath, [HARNESS_BIN, ...args], { env: this.env, cwd: this.dir, timeoutMs });
  }

  prepare(svcs: readonly Svc[]): void {
    const services: Record<string, unknown> = {};
    for (const s of svcs) {
      services[s.name] = {
        process: { command: s.argv },
        restart: s.restart
          ? { policy: 'always', max_restarts: 1_000_000, backoff: { initial: '0ms', max: '0ms' } }
          : { policy: 'never' },
        ...this.extra(s),
      };
    }
    // Block-style YAML, as people write harness.yaml.
    writeFileSync(this.file, `${toYaml({ name: this.stack, services }).trimStart()}\n`);
  }

  async startDaemon(): Promise<void> {
    await this.cli(['daemon', 'start']);
    this.track();
  }

  async up(): Promise<void> {
    await this.cli(['up', '-d', '-f', this.file]);
    this.track();
  }

  private track(): void {
    const pid = this.daemonPid();
    if (pid) cleanup.track(pid);
  }

  async status(): Promise<Map<string, Entry>> {
    const r = await this.cli(['ps', '--json', '-f', this.file]);
    const rows = JSON.parse(r.stdout) as Array<{ service: string; state: string; pid: number | null }>;
    return new Map(rows.map((x) => [x.service, { running: x.state === 'running', pid: x.pid ?? 0 }]));
  }

  async down(): Promise<void> {
    await this.cli(['down', '-f', this.file]);
  }

  supervisorPids(): number[] {
    const pid = this.daemonPid();
    if (pid === undefined) return [];
    const helpers = childrenOf(pid).filter((c) => readProcStat(c)?.comm === 'harness-spawner');
    return [pid, ...helpers];
  }

  daemonPid(): number | undefined {
    const f = join(this.home, 'daemon.pid');
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    return pid > 0 && isRunning(pid) ? pid : undefined;
  }

  async shutdown(): Promise<void> {
    this.undo();
    // An interrupted `up`/`daemon start` may still be starting the daemon: give it a moment.
    const pid = existsSync(this.home)
      ? await waitFor('harness daemon pid', () => this.daemonPid(), 3000, 50).catch(() => undefined)
      : undefined;
    if (pid === undefined) return;
    if (existsSync(this.file)) await this.cli(['down', '-f', this.file]).catch(() => undefined);
    const start = readProcStat(pid)?.startTime;
    await this.cli(['daemon', 'stop']).catch(() => undefined);
    await waitFor(
      'harness daemon exit',
      () => (start !== undefined && isRunning(pid, start) ? undefined : true),
      10_000,
    ).catch(() => process.kill(pid, 'SIGKILL'));
  }

  logFiles(service: string): string[] {
    const d = join(this.home, 'state', 'logs', this.stack);
    if (!existsSync(d)) return [];
    const base = `${service}.0.log`;
    return readdirSync(d)
      .filter((f) => f === base || f.startsWith(`${base}.`))
      .map((f) => join(d, f));
  }
}

/**
 * Block-style YAML of plain data (mappings, lists, strings, numbers, booleans): scalars as JSON,
 * which YAML reads as the same values.
 */
export function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value.map((v) => `\n${indent}- ${toYaml(v, `${indent}  `).trimStart()}`).join('');
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return entries
      .map(([k, v]) => {
        const inner = toYaml(v, `${indent}  `);
        return `\n${indent}${k}:${inner.startsWith('\n') ? '' : ' '}${inner}`;
      })
      .join('');
  }
  return JSON.stringify(value);
}
