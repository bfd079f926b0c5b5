// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configuration files use the ${…} syntax
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

// These tests run the built CLI (`pnpm test` builds first), as a user would.
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function harness(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.HARNESS_DEBUG;
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const SHOP = `name: shop
hosts:
  edge-1: { address: 10.0.0.5 }
  edge-2: { address: 10.0.0.6, network: wireguard }
services:
  db:
    process: { command: "postgres -D ./data" }
    ports: { pg: 5432 }
    readiness: { tcp: 5432 }
  api:
    process: { command: [node, server.js], env: { DB: "\${services.db.host}:\${services.db.ports.pg}" } }
    depends_on: { db: healthy }
  cache:
    docker: { image: redis:7 }
  edge:
    ssh: { host: edge-1, command: ./edge }
`;

const BROKEN = `services:
  api:
    process: { command: node server.js }
    restrat: always
  web:
    process: { command: serve }
    depends_on: [apii]
`;

describe('harness', () => {
  it('prints its version', () => {
    assert.ok(existsSync(bin), 'dist/bin.js is built by `pnpm test`');
    const r = harness(process.cwd(), '--version');
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
  });

  it('exits 2 on a usage mistake, with a suggestion', () => {
    const r = harness(process.cwd(), 'config', 'valdate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'valdate'/);
    assert.match(r.stderr, /validate/);
  });
});

describe('harness config validate', () => {
  it('summarises a valid file in one line', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), SHOP);
    const r = harness(dir, 'config', 'validate');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'harness.yaml: ok — stack "shop", 4 services, 2 hosts\n');
    assert.equal(r.stderr, '');
  });

  it('finds harness.yaml in a parent folder', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), SHOP);
    const deep = join(dir, 'src', 'lib');
    mkdirSync(deep, { recursive: true });
    const r = harness(deep, 'config', 'validate');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '../../harness.yaml: ok — stack "shop", 4 services, 2 hosts\n');
  });

  it('says so clearly when there is no harness.yaml, exit 2', (t) => {
    const dir = tempDir(t);
    const r = harness(dir, 'config', 'validate');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^harness: no harness\.yaml in .* or any parent folder\n {2}create one/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('exits 2 when -f names a missing file', (t) => {
    const dir = tempDir(t);
    const r = harness(dir, 'config', 'validate', '-f', 'other.yaml');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^harness: other\.yaml does not exist\n/);
  });

  it('reports every problem with its line and a caret, exit 1', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'stack.yaml'), BROKEN);
    const r = harness(dir, 'config', 'validate', '-f', 'stack.yaml');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /error\[UNKNOWN_KEY\]: unknown key `restrat`\n --> stack\.yaml:4:5\n/);
    assert.match(r.stderr, /4 \| {5}restrat: always\n {2}\| {5}\^{7}\n/);
    assert.match(r.stderr, /help: did you mean `restart`\?/);
    assert.match(r.stderr, /error\[UNKNOWN_SERVICE\]: unknown service `apii`\n --> stack\.yaml:7:18/);
    assert.match(r.stderr, /stack\.yaml: invalid — 2 errors\n$/);
  });

  it('gives problems as data with --json', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), BROKEN);
    const r = harness(dir, 'config', 'validate', '--json');
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      errors: { code: string; line: number; column: number; path: string; hint?: string }[];
    };
    assert.equal(out.ok, false);
    assert.deepEqual(
      out.errors.map((e) => [e.code, e.line, e.column, e.path, e.hint]),
      [
        ['UNKNOWN_KEY', 4, 5, 'services.api.restrat', 'did you mean `restart`?'],
        ['UNKNOWN_SERVICE', 7, 18, 'services.web.depends_on.apii', 'did you mean `api`?'],
      ],
    );
  });

  it('shows warnings and still succeeds', (t) => {
    const dir = tempDir(t);
    writeFileSync(
      join(dir, 'harness.yaml'),
      'services:\n  a:\n    process: { command: "echo ${NOT_SET_ANYWHERE_42}" }\n',
    );
    const r = harness(dir, 'config', 'validate');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning\[UNSET_VARIABLE\]: variable `NOT_SET_ANYWHERE_42` is not set/);
    assert.match(r.stdout, /^harness\.yaml: ok — stack "[^"]+", 1 service, 0 hosts, 1 warning\n$/);
  });

  it('explains an empty or binary file, exit 1', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'empty.yaml'), '');
    const empty = harness(dir, 'config', 'validate', '-f', 'empty.yaml');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /error\[FILE_EMPTY\]: empty\.yaml is empty/);
    writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x02]));
    const binary = harness(dir, 'config', 'validate', '-f', 'binary.yaml');
    assert.equal(binary.code, 1);
    assert.match(binary.stderr, /error\[FILE_BINARY\]: binary\.yaml is not a text file/);
  });
});

describe('harness config print', () => {
  it('prints the resolved configuration as YAML, references written back', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), SHOP);
    const r = harness(dir, 'config', 'print');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^name: shop\n/);
    assert.match(r.stdout, /DB: \$\{services\.db\.host\}:\$\{services\.db\.ports\.pg\}\n/);
    assert.match(r.stdout, /maxRestarts: 10\n/);
  });

  it('prints exact data with --json', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), SHOP);
    const r = harness(dir, 'config', 'print', '--json');
    assert.equal(r.code, 0);
    const config = JSON.parse(r.stdout) as {
      name: string;
      dir: string;
      services: Record<string, { dependsOn: unknown; readiness: unknown; env: Record<string, unknown> }>;
    };
    assert.equal(config.name, 'shop');
    assert.deepEqual(config.services.api?.dependsOn, [{ service: 'db', condition: 'healthy' }]);
    assert.deepEqual(config.services.db?.readiness, {
      kind: 'tcp',
      host: '127.0.0.1',
      port: 5432,
      intervalMs: 1000,
      timeoutMs: 1000,
      retries: 30,
      startPeriodMs: 0,
    });
    assert.deepEqual(Object.keys(config.services.api?.env.DB ?? {}), ['type', 'parts']);
  });

  it('prints the problems instead when the file is invalid, exit 1', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'harness.yaml'), BROKEN);
    const r = harness(dir, 'config', 'print');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /error\[UNKNOWN_KEY\]/);
  });
});

describe('harness completion', () => {
  it('offers every verb that `harness --help` lists, in bash and zsh', () => {
    const help = harness(process.cwd(), '--help').stdout;
    const verbs = [...help.slice(help.indexOf('Commands:')).matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]);
    assert.ok(verbs.length >= 15, verbs.join(' '));
    const bash = harness(process.cwd(), 'completion', 'bash');
    const zsh = harness(process.cwd(), 'completion', 'zsh');
    assert.equal(bash.code, 0);
    assert.equal(zsh.code, 0);
    const offered = (text: string) =>
      new Set((/compgen -W "([a-z ]+)" -- "\$cur"\) \)\n\}/.exec(text)?.[1] ?? '').split(' '));
    const fromBash = offered(bash.stdout);
    const fromZsh = new Set((/verbs=\(([a-z ]+)\)/.exec(zsh.stdout)?.[1] ?? '').split(' '));
    for (const v of verbs) {
      assert.ok(fromBash.has(v as string), `bash completion lacks ${v}`);
      assert.ok(fromZsh.has(v as string), `zsh completion lacks ${v}`);
    }
  });
});
