import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRunning } from '@harness/command-executor/proc';
import { untilInFolder } from '@harness/test-fixtures';

// The end-to-end tests run the built CLI (`pnpm test` builds first), as a user would, each with
// its own HARNESS_HOME and a copy of the quickstart example on free ports.
export const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const example = fileURLToPath(new URL('../../../examples/quickstart', import.meta.url));

export interface Env {
  readonly home: string;
  readonly dir: string;
  readonly env: Record<string, string>;
}

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A free TCP port on the loopback (bound then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A temp HARNESS_HOME and a copy of the quickstart; the daemon is stopped after the test. */
export async function setup(t: TestContext): Promise<Env> {
  const root = mkdtempSync(join(tmpdir(), 'harness-e2e-'));
  const home = join(root, 'home');
  const dir = join(root, 'quickstart');
  cpSync(example, dir, { recursive: true });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HARNESS_HOME: home,
    NO_COLOR: '1',
    BACKEND_PORT: String(await freePort()),
    API_PORT: String(await freePort()),
  };
  delete env.HARNESS_DEBUG;
  const e = { home, dir, env };
  t.after(async () => {
    await harness(e, 'down').catch(() => undefined);
    await harness(e, 'daemon', 'stop').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  return e;
}

/** Runs the CLI to its end; one that runs over 60 s is killed and fails naming the command. */
export async function harness(e: Env, ...args: string[]): Promise<Result> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: e.dir,
    env: e.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, 60_000);
  const r = await collect(child);
  clearTimeout(timer);
  if (timedOut)
    throw new Error(`harness ${args.join(' ')} did not finish within 60 s: ${r.stdout}\n${r.stderr}`);
  return r;
}

function collect(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => {
    stdout += c;
  });
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts the CLI and resolves once its stdout has a line matching `pattern`. */
export function spawnUntil(
  e: Env,
  pattern: RegExp,
  ...args: string[]
): Promise<{ child: ChildProcess; lines: string[]; done: Promise<Result> }> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: e.dir,
    env: e.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const done = collect(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within 30 s: ${lines.join('\n')}`)),
      30_000,
    );
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (pattern.test(line)) {
          clearTimeout(timer);
          resolve({ child, lines, done });
        }
        i = buf.indexOf('\n');
      }
    });
    void done.then((r) => {
      clearTimeout(timer);
      reject(new Error(`exited (${r.code}) before a line matching ${pattern}: ${r.stderr}`));
    });
  });
}

/** Whether a file ends with `text` (reads only its last bytes). */
/**
 * A stack of one service, `gen`, that prints `waiting` until the file `go` exists (so a test
 * knows its follower is attached by then), then `seq 1 n` as fast as it can, then idles.
 */
export function floodStack(stack: string, n: number, go: string): string {
  return [
    `name: ${stack}`,
    'services:',
    '  gen:',
    '    process:',
    `      command: [sh, -c, "while [ ! -e ${go} ]; do echo waiting; sleep 0.02; done; seq 1 ${n}; exec sleep 100000"]`,
    '',
  ].join('\n');
}

/**
 * The rest of a {@link floodStack} run under a foreground `up` (started with
 * {@link spawnUntil}): with `up`'s stdout paused, lets `gen` go, waits until its log file holds
 * all `n` lines, resumes, waits for `up` to print the last, stops it with SIGINT and checks it
 * ended well without dropping a line. Returns `up`'s result; the caller checks the order.
 */
export async function followFlood(
  t: TestContext,
  run: { child: ChildProcess; lines: string[]; done: Promise<Result> },
  go: string,
  log: string,
  n: number,
): Promise<Result> {
  // Its stdout pipe fills, it blocks writing, its socket is not read: nothing may be dropped.
  run.child.stdout?.pause();
  writeFileSync(go, '');
  await untilInFolder(t, dirname(log), () => endsWith(log, `\n${n}\n`), 'seq done');
  run.child.stdout?.resume();
  await untilLine(run.child, run.lines, `gen  | ${n}`);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.includes('dropped'), false, r.stderr);
  return r;
}

export function endsWith(file: string, text: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const want = Buffer.byteLength(text);
    if (size < want) return false;
    const buf = Buffer.alloc(want);
    readSync(fd, buf, 0, want, size - want);
    return buf.toString() === text;
  } finally {
    closeSync(fd);
  }
}

/**
 * Resolves once `lines` holds a line equal to `last` (checked as stdout comes in); rejects after
 * 60 s, saying how far it got.
 */
export function untilLine(child: { stdout: NodeJS.ReadableStream | null }, lines: string[], last: string) {
  return new Promise<void>((resolve, reject) => {
    let from = 0;
    const timer = setTimeout(() => {
      child.stdout?.off('data', check);
      reject(new Error(`no line "${last}" within 60 s: ${lines.length} lines, the last ${lines.at(-1)}`));
    }, 60_000);
    const check = (): void => {
      for (; from < lines.length; from++) {
        if (lines[from] !== last) continue;
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve();
        return;
      }
    };
    // After the collector's own listener (added first), so `lines` is up to date here.
    child.stdout?.on('data', check);
    check();
  });
}

/** `harness ps --json` parsed. */
export async function ps(
  e: Env,
): Promise<{ service: string; state: string; health: string; pid: number | null; restarts: number }[]> {
  const r = await harness(e, 'ps', '--json');
  if (r.code !== 0) throw new Error(`ps failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Whether a process is alive (a zombie counts as gone). */
export const alive = (pid: number): boolean => isRunning(pid);

/** Waits (checking /proc with a back-off, ≤ 10 s) until none of the pids is alive. */
export async function allGone(pids: readonly number[]): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  let delay = 5;
  while (Date.now() < deadline) {
    if (pids.every((p) => !alive(p))) return true;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  return pids.every((p) => !alive(p));
}

const CSI_AT_START = new RegExp(`^${String.fromCharCode(27)}\\[(\\??)([0-9;]*)([A-Za-z])`);

/**
 * A terminal screen fed with what a program wrote: enough of a VT100 to check a view redrawn in
 * place (printable text, CR, LF as CR LF like a pty, cursor up/down/column, erase line, erase
 * down, colours ignored, cursor shown/hidden). Lines wrap at `columns`; the screen has no bottom.
 */
export class Screen {
  readonly columns: number;
  cursorVisible = true;
  #lines: string[][] = [[]];
  #row = 0;
  #col = 0;

  constructor(columns = 80) {
    this.columns = columns;
  }

  write(text: string): void {
    let i = 0;
    while (i < text.length) {
      const ch = text[i] as string;
      if (ch === '\u001b') {
        const m = CSI_AT_START.exec(text.slice(i));
        if (m === null) throw new Error(`unknown escape at ${JSON.stringify(text.slice(i, i + 8))}`);
        this.#control(m[1] === '?', m[2] ?? '', m[3] as string);
        i += m[0].length;
        continue;
      }
      if (ch === '\r') this.#col = 0;
      else if (ch === '\n') {
        this.#row++;
        this.#col = 0;
      } else {
        const cp = String.fromCodePoint(text.codePointAt(i) as number);
        if (this.#col >= this.columns) {
          this.#row++;
          this.#col = 0;
        }
        const line = this.#line();
        while (line.length < this.#col) line.push(' ');
        line[this.#col] = cp;
        this.#col++;
        i += cp.length;
        continue;
      }
      i++;
    }
  }

  /** The screen's lines, trailing blanks and empty last lines left out. */
  text(): string[] {
    const out = this.#lines.map((l) => l.join('').trimEnd());
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }

  /** Where the cursor is. */
  get cursor(): { row: number; col: number } {
    return { row: this.#row, col: this.#col };
  }

  #line(): string[] {
    while (this.#lines.length <= this.#row) this.#lines.push([]);
    return this.#lines[this.#row] as string[];
  }

  #control(private_: boolean, params: string, final: string): void {
    const n = params === '' ? undefined : Number(params);
    if (private_) {
      if (params === '25' && final === 'l') this.cursorVisible = false;
      else if (params === '25' && final === 'h') this.cursorVisible = true;
      return;
    }
    switch (final) {
      case 'm':
        return;
      case 'A':
        this.#row = Math.max(0, this.#row - (n ?? 1));
        return;
      case 'B':
        this.#row += n ?? 1;
        return;
      case 'G':
        this.#col = Math.max(0, (n ?? 1) - 1);
        return;
      case 'K': {
        const line = this.#line();
        if ((n ?? 0) === 2) line.length = 0;
        else if ((n ?? 0) === 0) line.length = Math.min(line.length, this.#col);
        return;
      }
      case 'J':
        if ((n ?? 0) !== 0) throw new Error(`erase display ${n}: a full-screen clear`);
        this.#line().length = Math.min(this.#line().length, this.#col);
        this.#lines.length = this.#row + 1;
        return;
      default:
        throw new Error(`unknown control ESC[${params}${final}`);
    }
  }
}
