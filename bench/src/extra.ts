import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { HARNESS_BIN, Harness } from './harness.js';
import { liveDescendants } from './proc.js';
import type { ToolName } from './tool.js';
import { TOOLS } from './tool.js';
import { cleanup, runOk, sleep, tempDir, waitFor } from './util.js';
import { type Results, failures, makeTool, push } from './workloads.js';

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Bytes `seq 1 n` writes. */
export function seqBytes(n: number): number {
  let total = 0;
  for (let d = 1, lo = 1; lo <= n; d++, lo *= 10) total += (Math.min(n, lo * 10 - 1) - lo + 1) * (d + 1);
  return total;
}

const sizeOf = (files: readonly string[]) =>
  files.reduce((a, f) => {
    try {
      return a + statSync(f).size;
    } catch {
      return a;
    }
  }, 0);

/**
 * Workload 6: one service writes `lines` lines as fast as it can; lines/s from the moment the
 * writer starts until every byte is in the tool's log files. The service stamps the wall clock
 * just before it becomes `seq`, so the time the tool takes to start it (workload 1) is not
 * counted — only the logging. Each tool logs with rotation off (Harness `logs: { max_size: 0 }`,
 * supervisord `stdout_logfile_maxbytes=0`, PM2 never rotates).
 */
export async function logThroughput(res: Results, lines: number, tools: readonly ToolName[] = TOOLS) {
  const want = seqBytes(lines);
  for (const name of tools) {
    const t = name === 'harness' ? new Harness(() => ({ logs: { max_size: 0 } })) : makeTool(name, false);
    const stamp = join(tempDir('stamp'), 'start');
    try {
      t.prepare([
        {
          name: 'log',
          argv: ['sh', '-c', `date +%s%N > ${stamp}; exec seq 1 ${lines}`],
          restart: false,
        },
      ]);
      await t.startDaemon();
      await t.up();
      // Done when every byte is there, or when the file has not grown for 2 s (a tool that drops
      // lines): then the rate counts the lines delivered, and the loss is reported.
      let size = 0;
      let changed = Date.now();
      await waitFor(
        `${name}: ${lines} lines in its log file`,
        () => {
          const now = sizeOf(t.logFiles('log'));
          if (now !== size) [size, changed] = [now, Date.now()];
          return size >= want || (size > 0 && Date.now() - changed > 2000) ? true : undefined;
        },
        90_000,
        1,
      );
      if (size < want) failures.push(`${name} lost ${want - size} of ${want} bytes of the log workload`);
      const started = Number(readFileSync(stamp, 'utf8').trim()) / 1e6;
      // The clock's resolution is a millisecond: a run shorter than that counts as one.
      push(res, 'logs', name, (lines * Math.min(1, size / want)) / (Math.max(1, changed - started) / 1000));
    } finally {
      await t.shutdown();
    }
    log(`  logs ${name}: done`);
  }
  if (tools.includes('harness')) push(res, 'follow', 'harness', await follow(lines));
  const dir = tempDir('floor');
  const t0 = performance.now();
  await runOk('sh', ['-c', `seq 1 ${lines} | cat > "${join(dir, 'out')}"`]);
  push(res, 'logs', 'floor', lines / ((performance.now() - t0) / 1000));
}

/**
 * Lines/s delivered to a `harness logs --follow -n 0` client. A client can only attach once the
 * stack runs (and `-n all` is refused by the daemon), so the service waits 1 s before writing and
 * the clock starts when its `seq` process appears.
 */
async function follow(lines: number): Promise<number> {
  const h = new Harness();
  try {
    h.prepare([{ name: 'log', argv: ['sh', '-c', `sleep 1; exec seq 1 ${lines}`], restart: false }]);
    await h.startDaemon();
    await h.up();
    const done = followClient(h, lines);
    const daemon = h.daemonPid() ?? 0;
    await waitFor(
      'seq to start',
      () => (liveDescendants(daemon, 'seq').length > 0 ? true : undefined),
      10_000,
      0,
    );
    const t0 = performance.now();
    const got = await done;
    if (got.n < lines) log(`  logs --follow: only ${got.n} of ${lines} lines within 20 s`);
    return got.n / ((got.at - t0) / 1000);
  } finally {
    await h.shutdown();
  }
}

/** A `harness logs --follow` client: lines received and when, once it has all or after 20 s. */
function followClient(h: Harness, lines: number): Promise<{ n: number; at: number }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [HARNESS_BIN, 'logs', '--follow', '-n', '0', '-f', h.file, 'log'], {
      env: { ...process.env, HARNESS_HOME: h.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (c.pid) cleanup.track(c.pid);
    let n = 0;
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      resolve({ n, at: performance.now() });
    }, 21_000);
    c.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
      if (n >= lines) {
        clearTimeout(timer);
        resolve({ n, at: performance.now() });
        c.kill('SIGTERM');
      }
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const server = (port: number) => `require('net').createServer().listen(${port},'127.0.0.1')`;

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/** A service's own time to listen: spawn the same `node -e` server directly, poll until it accepts. */
async function ownListen(): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const c = spawn(process.execPath, ['-e', server(port)], { stdio: 'ignore' });
  if (c.pid) cleanup.track(c.pid);
  await waitFor('own listen', async () => ((await canConnect(port)) ? true : undefined), 10_000, 1);
  const ms = performance.now() - t0;
  c.kill('SIGKILL');
  return ms;
}

async function chainUp(depth: number): Promise<number> {
  const ports = await Promise.all(Array.from({ length: depth }, () => freePort()));
  const h = new Harness((s) => {
    const i = Number(s.name.slice(1));
    return {
      readiness: { tcp: `127.0.0.1:${ports[i]}`, interval: '10ms' },
      ...(i > 0 ? { depends_on: { [`c${i - 1}`]: 'healthy' } } : {}),
    };
  });
  try {
    h.prepare(
      ports.map((p, i) => ({ name: `c${i}`, argv: [process.execPath, '-e', server(p)], restart: false })),
    );
    await h.startDaemon();
    const t0 = performance.now();
    await h.up();
    const ms = performance.now() - t0;
    const n = liveDescendants(h.daemonPid() ?? 0, 'node').length;
    if (n !== depth) throw new Error(`chain of ${depth}: ${n} servers running`);
    return ms;
  } finally {
    await h.shutdown();
  }
}

/** Workload 7: ms per edge of a 10-deep healthy chain beyond the servers' own time to listen. */
export async function chain(res: Results, reps: number) {
  for (let r = 0; r < reps; r++) {
    const one = await chainUp(1);
    const ten = await chainUp(10);
    const own: number[] = [];
    for (let i = 0; i < 10; i++) own.push(await ownListen());
    const ownAvg = own.reduce((a, b) => a + b, 0) / own.length;
    push(res, 'chain', 'harness', (ten - one - 9 * ownAvg) / 9);
    push(res, 'chain10', 'harness', ten);
    push(res, 'listen', 'floor', ownAvg);
    log(
      `  chain rep ${r + 1}: 1 → ${one.toFixed(0)} ms, 10 → ${ten.toFixed(0)} ms, own listen ${ownAvg.toFixed(0)} ms`,
    );
  }
}

/** Workload 8: a shell spawning 100 sleepers, until all run; then killing them, until all are gone. */
export async function spawnFloor(res: Results, reps: number) {
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const sh = spawn('sh', ['-c', 'for i in $(seq 100); do sleep 1000 & done; wait'], { stdio: 'ignore' });
    const root = sh.pid ?? 0;
    cleanup.track(root);
    const procs = await waitFor('100 sleepers', () => {
      const l = liveDescendants(root, 'sleep');
      return l.length >= 100 ? l : undefined;
    });
    push(res, 'cold', 'floor', performance.now() - t0);
    for (const p of procs) cleanup.track(p.pid);
    const t1 = performance.now();
    for (const p of procs) process.kill(p.pid, 'SIGTERM');
    await waitFor('sleepers gone', () => (liveDescendants(root, 'sleep').length === 0 ? true : undefined));
    push(res, 'stop', 'floor', performance.now() - t1);
    sh.kill('SIGKILL');
    await sleep(10);
  }
}
