import { Harness } from './harness.js';
import { Pm2, Supervisord } from './peers.js';
import { isRunning, readProcStat } from '@harness/command-executor/proc';
import { CLK_TCK, childrenOf, cpuTicks, liveDescendants, rssBytes } from './proc.js';
import type { Svc, Tool, ToolName } from './tool.js';
import { TOOLS } from './tool.js';
import { cleanup, sleep, waitFor } from './util.js';

/** Samples per workload and tool, in ms (or the workload's unit). */
export type Samples = Partial<Record<ToolName | 'floor', number[]>>;
export type Results = Record<string, Samples>;

export function push(res: Results, key: string, who: ToolName | 'floor', v: number): void {
  const row = res[key] ?? {};
  res[key] = row;
  const list = row[who] ?? [];
  row[who] = list;
  list.push(v);
}

/** Steps that failed without stopping the run (named in the report). */
export const failures: string[] = [];

export function makeTool(name: ToolName, autostart = true): Tool {
  if (name === 'harness') return new Harness();
  if (name === 'pm2') return new Pm2();
  return new Supervisord(autostart);
}

export const sleepers = (n: number): Svc[] =>
  Array.from({ length: n }, (_, i) => ({ name: `s${i}`, argv: ['sleep', '1000'], restart: true }));

const log = (s: string) => process.stderr.write(`${s}\n`);

/**
 * Starts the services and returns the ms until `n` live `sleep` processes run under the daemon
 * (and the tool's own start command has returned). Then checks, loudly, that the tool's status
 * lists `n` running entries and that `n` processes are alive.
 */
export async function startAndVerify(t: Tool, n: number, timeoutMs = 120_000): Promise<number> {
  const t0 = performance.now();
  const upDone = t.up();
  let returned = false;
  upDone.then(
    () => {
      returned = true;
    },
    () => undefined, // the race below reports it
  );
  await waitFor(
    `${t.name}: ${n} running processes`,
    async () => {
      if (!returned) {
        // surface a failing start command at once
        await Promise.race([upDone, sleep(0)]);
      }
      const pid = t.daemonPid();
      if (!returned || pid === undefined) return undefined;
      return liveDescendants(pid, 'sleep').length >= n ? true : undefined;
    },
    timeoutMs,
  );
  const ms = performance.now() - t0;
  await verifyRunning(t, n);
  return ms;
}

export async function verifyRunning(t: Tool, n: number): Promise<number[]> {
  const pid = t.daemonPid();
  if (pid === undefined) throw new Error(`${t.name}: the daemon is not running`);
  const st = await waitFor(
    `${t.name}: ${n} running entries in its status`,
    async () => {
      const s = await t.status();
      return [...s.values()].filter((e) => e.running).length === n ? s : undefined;
    },
    10_000,
    50,
  ).catch(async (e: Error) => {
    const s = await t.status();
    throw new Error(`${e.message}: ${[...s.values()].filter((x) => x.running).length} of ${s.size} running`);
  });
  const procs = liveDescendants(pid, 'sleep');
  if (procs.length !== n)
    throw new Error(`${t.name}: status says ${n} running, but ${procs.length} processes live`);
  for (const p of procs) cleanup.track(p.pid);
  return [...st.values()].map((e) => e.pid);
}

/** Stops the services; ms until the command returned and every one of `pids` is gone. */
export async function stopAndWait(t: Tool, pids: readonly number[]): Promise<number> {
  const t0 = performance.now();
  await t.down();
  await waitFor(
    `${t.name}: every process gone`,
    () => (pids.some((p) => isRunning(p)) ? undefined : true),
    30_000,
  );
  return performance.now() - t0;
}

/** Workloads 1, 2 and 5: cold start, ps ×k, stop, warm start, stop. */
export async function startPsStop(
  res: Results,
  reps: number,
  psRuns: number,
  tools: readonly ToolName[] = TOOLS,
) {
  for (let r = 0; r < reps; r++) {
    for (const name of tools) {
      const t = makeTool(name);
      try {
        t.prepare(sleepers(100));
        push(res, 'cold', name, await startAndVerify(t, 100));
        for (let i = 0; i < psRuns; i++) {
          const t0 = performance.now();
          await t.status();
          push(res, 'ps', name, performance.now() - t0);
        }
        const pids = liveDescendants(t.daemonPid() ?? 0, 'sleep').map((p) => p.pid);
        push(res, 'stop', name, await stopAndWait(t, pids));
        push(res, 'warm', name, await startAndVerify(t, 100));
        const pids2 = liveDescendants(t.daemonPid() ?? 0, 'sleep').map((p) => p.pid);
        push(res, 'stop', name, await stopAndWait(t, pids2));
      } finally {
        await t.shutdown();
      }
      log(`  rep ${r + 1}/${reps} ${name}: done`);
    }
  }
}

/** Workloads 3 and 4 (100 services): RSS, idle CPU (all tools idle together), crash → new pid. */
export async function steady(res: Results, idleS: number, kills: number, tools: readonly ToolName[] = TOOLS) {
  const running: Tool[] = [];
  try {
    for (const name of tools) {
      const t = makeTool(name);
      running.push(t);
      t.prepare(sleepers(100));
      await startAndVerify(t, 100);
    }
    await sleep(1000);
    const before = new Map(running.map((t) => [t.name, footprintTicks(t)]));
    await sleep(idleS * 1000);
    for (const t of running) {
      const ticks = footprintTicks(t) - (before.get(t.name) ?? 0);
      push(res, 'idle', t.name, (100 * ticks) / CLK_TCK / idleS);
      push(res, 'rss100', t.name, footprintMiB(t));
    }
    for (const t of running) {
      await crashes(res, t, kills);
      await verifyRunning(t, 100);
      log(`  crash ${t.name}: done`);
    }
  } finally {
    for (const t of running) await t.shutdown();
  }
}

/** RSS of the daemon and its helpers, MiB. */
function footprintMiB(t: Tool): number {
  const pids = t.supervisorPids();
  if (pids.length === 0) return Number.NaN;
  return pids.reduce((sum, pid) => sum + (rssBytes(pid) ?? Number.NaN), 0) / 2 ** 20;
}

/** CPU ticks used so far by the daemon and its helpers. */
function footprintTicks(t: Tool): number {
  return t.supervisorPids().reduce((sum, pid) => sum + cpuTicks(pid), 0);
}

async function crashes(res: Results, t: Tool, kills: number): Promise<void> {
  const daemon = t.daemonPid() ?? 0;
  for (let k = 0; k < kills; k++) {
    const procs = liveDescendants(daemon, 'sleep');
    const known = new Set(procs.map((p) => p.pid));
    const victim = procs[k % procs.length];
    if (!victim) throw new Error(`${t.name}: no service process to kill`);
    // Every tool runs its services as direct children of one process (its daemon; harness its
    // spawn server), which starts the new one too: watch only its children.
    const parent = victim.ppid;
    const t0 = performance.now();
    process.kill(victim.pid, 'SIGKILL');
    const fresh = await waitFor(
      `${t.name}: a new pid after SIGKILL`,
      () => {
        for (const pid of childrenOf(parent)) {
          if (known.has(pid)) continue;
          const s = readProcStat(pid);
          if (s?.comm === 'sleep' && s.state !== 'Z' && s.state !== 'X') return s;
        }
        return undefined;
      },
      10_000,
      0,
    );
    push(res, 'crash', t.name, performance.now() - t0);
    cleanup.track(fresh.pid);
    await sleep(100);
  }
}

/** Workload 4 at 1000 services: the daemon's RSS once all run. */
export async function rss1000(res: Results, tools: readonly ToolName[] = TOOLS) {
  for (const name of tools) {
    const t = makeTool(name);
    try {
      t.prepare(sleepers(1000));
      const ms = await startAndVerify(t, 1000, 90_000);
      await sleep(2000);
      push(res, 'rss1000', name, footprintMiB(t));
      push(res, 'cold1000', name, ms);
    } catch (e) {
      const msg = `${name}, 1000 services: ${(e as Error).message}`;
      log(`  FAILED ${msg}`);
      failures.push(msg);
    } finally {
      await t.shutdown();
    }
    log(`  1000 services ${name}: done`);
  }
}
