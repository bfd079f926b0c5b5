import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning, readProcStat } from '@harness/command-executor/proc';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Commands `run` has under way: killed when the bench is cleaned up. */
const inFlight = new Set<ChildProcess>();

/** Runs a command to its end; its wall time is `ms`. Rejects on timeout. */
export function run(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      env: { ...process.env, ...o.env },
      cwd: o.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    inFlight.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${o.timeoutMs} ms`));
    }, o.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      inFlight.delete(child);
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - t0,
      });
    });
  });
}

/** `run` that rejects on a non-zero exit, with the command's stderr. */
export async function runOk(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
    throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited ${r.code}: ${tail}`);
  }
  return r;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined); rejects after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 2,
): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `harness-bench-${prefix}-`));
}

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] ?? Number.NaN) + (s[m] ?? Number.NaN)) / 2;
}
export const min = (xs: readonly number[]): number => Math.min(...xs);

/** Cleanup steps and processes to kill, run on exit, on error and on SIGINT. */
class Cleanup {
  private readonly steps: Array<{ name: string; fn: () => Promise<unknown> }> = [];
  private readonly pids = new Map<number, number>();

  add(name: string, fn: () => Promise<unknown>): () => void {
    const step = { name, fn };
    this.steps.push(step);
    return () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
    };
  }

  /** Remembers a pid (with its start time, so a recycled pid is never killed). */
  track(pid: number): void {
    const s = readProcStat(pid);
    if (s) this.pids.set(pid, s.startTime);
  }

  async runAll(): Promise<void> {
    // Commands of the interrupted step first: a client waiting on a daemon being stopped would hang.
    for (const c of inFlight) c.kill('SIGKILL');
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      if (!step) break;
      try {
        await Promise.race([step.fn(), sleep(15_000)]);
      } catch (e) {
        process.stderr.write(`cleanup ${step.name}: ${(e as Error).message}\n`);
      }
    }
    for (const [pid, start] of this.pids) {
      if (isRunning(pid, start)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    this.pids.clear();
  }
}

export const cleanup = new Cleanup();
