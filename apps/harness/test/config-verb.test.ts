// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configuration files use the ${…} syntax
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { print, validate } from '../src/commands/config.js';
import type { CliContext } from '../src/context.js';
import { runVerb } from '../src/run-verb.js';
import { UsageError } from '../src/usage-error.js';

// The verbs run in this process with a captured context; cli.test.ts runs the built binary.
function context(
  cwd: string,
  env: Record<string, string> = {},
  tty = false,
): CliContext & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    cwd,
    env,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: tty },
    out,
    err,
  };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-verb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const OK =
  'name: demo\nservices:\n  web:\n    process: { command: "serve -p ${PORT:-80}" }\n    ports: { http: "${PORT:-80}" }\n';

describe('config verbs in process', () => {
  it('validate uses the context environment and folder', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), OK);
    const cx = context(dir, { PORT: '8080' });
    assert.equal(await validate({}, cx), 0);
    assert.deepEqual(cx.out, ['harness.yaml: ok — stack "demo", 1 service, 0 hosts\n']);
    const printed = context(dir, { PORT: '8080' });
    assert.equal(await print({ json: true }, printed), 0);
    const config = JSON.parse(printed.out.join('')) as { services: { web: { ports: { http: number } } } };
    assert.equal(config.services.web.ports.http, 8080);
  });

  it('validate --json carries the stack summary', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), OK);
    const cx = context(dir);
    assert.equal(await validate({ json: true }, cx), 0);
    assert.deepEqual(JSON.parse(cx.out.join('')), {
      file: 'harness.yaml',
      ok: true,
      stack: { name: 'demo', services: 1, hosts: 0 },
      errors: [],
      warnings: [],
    });
  });

  it('colours errors only on a terminal without NO_COLOR', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), 'services:\n  a: { proces: { command: x } }\n');
    const tty = context(dir, {}, true);
    assert.equal(await validate({}, tty), 1);
    assert.ok(tty.err.join('').includes('\u001b[1;31merror[UNKNOWN_KEY]'));
    const noColor = context(dir, { NO_COLOR: '1' }, true);
    assert.equal(await validate({}, noColor), 1);
    assert.ok(!noColor.err.join('').includes('\u001b['));
  });

  it('print shows warnings on stderr and the YAML on stdout', async (t) => {
    const dir = tempDir(t);
    writeFileSync(
      join(dir, 'harness.yaml'),
      'services:\n  a: { process: { command: "echo ${UNSET_HERE}" } }\n',
    );
    const cx = context(dir);
    assert.equal(await print({}, cx), 0);
    assert.match(cx.err.join(''), /warning\[UNSET_VARIABLE\]/);
    assert.match(cx.out.join(''), /script: "echo "/);
  });

  it('finds the file in a parent folder and names it relative to the context folder', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), 'services:\n  a: { process: { command: x }, replicas: 0 }\n');
    const deep = join(dir, 'x');
    mkdirSync(deep);
    const cx = context(deep);
    assert.equal(await validate({}, cx), 1);
    assert.match(cx.err.join(''), / --> \.\.\/harness\.yaml:2:43\n/);
    assert.match(cx.err.join(''), /\.\.\/harness\.yaml: invalid — 1 error\n$/);
  });

  it('turns a missing -f file into a usage error', async (t) => {
    const dir = tempDir(t);
    await assert.rejects(
      validate({ file: 'gone.yaml' }, context(dir)),
      (e: unknown) => e instanceof UsageError && e.code === 'CONFIG_NOT_FOUND',
    );
  });
});

describe('runVerb', () => {
  it('prints a usage error as one sentence and a detail, exit 2', async (t) => {
    const cx = context(tempDir(t));
    const code = await runVerb(
      async () => ({}),
      async () => {
        throw new UsageError('X', 'no harness.yaml here', 'pass -f FILE');
      },
      cx,
    );
    assert.equal(code, 2);
    assert.deepEqual(cx.err, ['harness: no harness.yaml here\n  pass -f FILE\n']);
  });

  it('prints an unexpected error without a stack, unless HARNESS_DEBUG is set', async (t) => {
    const boom = async (): Promise<number> => {
      throw new Error('disk on fire');
    };
    const quiet = context(tempDir(t));
    assert.equal(await runVerb(async () => ({}), boom, quiet), 1);
    assert.deepEqual(quiet.err, ['harness: unexpected error: disk on fire\n']);
    const debug = context(tempDir(t), { HARNESS_DEBUG: '1' });
    assert.equal(await runVerb(async () => ({}), boom, debug), 1);
    assert.match(debug.err.join(''), /\n\s+at /);
  });

  it('returns the verb exit code', async (t) => {
    assert.equal(
      await runVerb(
        async () => 7,
        async (n) => n,
        context(tempDir(t)),
      ),
      7,
    );
  });
});
