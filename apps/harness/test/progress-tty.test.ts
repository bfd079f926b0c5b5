import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { bin, type Env, harness, ps, Screen, setup } from './e2e-helpers.js';

// `harness up -d` under a real pseudo-terminal (util-linux `script` gives the command one), as a
// user at a terminal runs it: the built CLI against the quickstart example.

const ESC = '\u001b';

/** Single-quoted for sh. */
const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs the CLI on a pty; resolves with everything the terminal received and the exit code. */
function onTerminal(
  e: Env,
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number | null; out: string }> {
  const command = [process.execPath, bin, ...args].map(q).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: e.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

describe('harness up on a terminal', () => {
  it('up -d: a table redrawn in place, then every service up in the last frame', async (t) => {
    const e = await setup(t);
    const env: Record<string, string> = { ...e.env, TERM: 'xterm-256color' };
    delete env.NO_COLOR;
    const r = await onTerminal(e, env, 'up', '-d');
    assert.equal(r.code, 0, r.out);

    assert.ok(r.out.includes(`${ESC}[?25l`), 'the cursor is hidden while it draws');
    assert.ok(r.out.endsWith(`${ESC}[?25h`), 'and shown again at the end');
    assert.match(
      r.out,
      new RegExp(`${ESC}\\[\\d+A\\r${ESC}\\[2K`),
      'redrawn in place: cursor up, erase line',
    );
    assert.ok(!r.out.includes(`${ESC}[2J`) && !r.out.includes(`${ESC}[H`), 'never a full-screen clear');

    const screen = new Screen(80);
    screen.write(r.out);
    const lines = screen.text();
    const header = lines.findIndex((l) => /^\s+SERVICE\s+STATE\s+TIME\s+PID$/.test(l));
    assert.ok(header >= 0, lines.join('\n'));
    const rows = lines.slice(header + 1);
    assert.equal(
      rows.length,
      4,
      `one row per service and nothing left of older frames:\n${lines.join('\n')}`,
    );
    const expected: Record<string, RegExp> = {
      backend: /^✔ backend\s+healthy\s+\d+\.\ds\s+\d+$/,
      migrate: /^✔ migrate\s+completed\s+\d+\.\ds\s+-$/,
      api: /^✔ api\s+healthy\s+\d+\.\ds\s+\d+$/,
      worker: /^✔ worker\s+(running|healthy|completed)\s+\d+\.\ds\s+\d+$/,
    };
    for (const [service, pattern] of Object.entries(expected)) {
      const row = rows.find((l) => l.slice(2).split(' ')[0] === service);
      assert.match(row ?? `(no row for ${service})`, pattern, lines.join('\n'));
    }
    // The pids shown are the services' own.
    const now = await ps(e);
    for (const s of now.filter((x) => x.pid !== null && x.service !== 'worker')) {
      const row = rows.find((l) => l.slice(2).split(' ')[0] === s.service);
      assert.ok(row?.endsWith(` ${s.pid}`), `${s.service} ${s.pid}: ${row}`);
    }
  });

  it('with NO_COLOR, on a terminal too: one plain line per change, no escape codes', async (t) => {
    const e = await setup(t);
    const r = await onTerminal(e, { ...e.env, NO_COLOR: '1', TERM: 'xterm-256color' }, 'up', '-d');
    assert.equal(r.code, 0, r.out);
    assert.ok(!r.out.includes(ESC), JSON.stringify(r.out));
    assert.match(r.out, /^ {2}backend\s+starting\r$/m);
    assert.match(r.out, /^✔ api\s+healthy\r$/m);
    assert.equal((await harness(e, 'down')).code, 0);
  });
});
