import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Diagnostics, SourceText } from '../src/index.js';
import { parseCommonYaml } from '../src/parse/common-yaml.js';
import { parseWithYamlLibrary } from '../src/parse/parse-yaml.js';

/** The located tree the full parser gives, and its problems. */
function full(text: string): { tree: unknown; problems: number } {
  const diag = new Diagnostics(new SourceText('harness.yaml', text));
  const tree = parseWithYamlLibrary(diag);
  return { tree, problems: diag.errors.length + diag.warnings.length };
}

/** The fast reader must either give up or give exactly the full parser's tree, ranges included. */
function agree(text: string): boolean {
  const fast = parseCommonYaml(text, 100_000);
  if (fast === undefined) return false;
  const slow = full(text);
  assert.equal(slow.problems, 0, `the full parser has problems with a text the fast one read:\n${text}`);
  assert.deepEqual(fast, slow.tree, `different trees for:\n${text}`);
  return true;
}

const COMMON: Record<string, string> = {
  'every scalar type': [
    'name: demo # the stack',
    'a: plain words here',
    'b: "double"',
    "c: 'single ''quoted'''",
    'd: 42',
    'e: -7',
    'f: +3',
    'g: 007',
    'h: 0x1F',
    'i: 0o17',
    'j: 1.5',
    'k: .5',
    'l: 1e3',
    'm: 2.5E-2',
    'n: true',
    'o: False',
    'p: TRUE',
    'q: ~',
    'r: null',
    's: NULL',
    't: 10ms',
    'u: 1.2.3',
    'v: http://host:8080/x',
    'w: a#b',
    'x: "esc \\" \\\\ \\n \\t \\u00e9 \\/"',
    'y: -c',
    'z: --flag=value',
    "empty-quoted: ''",
    'empty-double: ""',
    'unicode: héllo wörld ✓',
    '1: one',
    'true: key',
    '~: tilde key',
    '',
  ].join('\n'),
  'nested blocks, compact items, same-indent sequences': [
    'services:',
    '  web:',
    '    process:',
    '      command: [node, server.js, --port, "8080", -c]',
    '      env:',
    '        A: b',
    '    depends_on:',
    '    - db',
    '    - cache',
    '    readiness: { }'.replace('{ }', '{}'),
    '  db:',
    '    container:',
    '      image: postgres:16',
    '      ports:',
    '        - "5432:5432"',
    '    healthy:',
    '      - tcp: 5432',
    '        interval: 10ms',
    '      - http: /health',
    '    empty:',
    '    list: []',
    '',
  ].join('\n'),
  'comments and blank lines everywhere': [
    '# leading comment',
    '',
    'a:   # after a key',
    '',
    '  # indented comment',
    '  b: 1   # trailing',
    '',
    '      # deeper comment',
    '  c:',
    '    - x # item comment',
    '',
    '    - y',
    '# back at the top',
    'd: last',
    '',
    '',
  ].join('\n'),
  'flow collections': [
    'svc:',
    '  process: { command: node server.js, env: { A: "1", B: [x, y] } }',
    '  docker: { image: redis:7, ports: ["6379:6379", 8080], volumes: [] }',
    '  env: { A: , B: ~ }',
    '  nested: [[1, 2], [], {}, { k: v }]',
    '  spaced: {a: 1,b: -c}',
    '',
  ].join('\n'),
  'empty values with spaces after them': 'a:\n  b: \n  c:\n\n  d:\nz: 1\n',
  'no newline at the end': 'a:\n  b: [1, 2]\nc: x',
  'empty value last': 'a:\n  b:\nc:',
  'a sequence item that is a block': 'a:\n  -\n    k: v\n  -\n    - 1\n    - 2\n',
};

const OUTSIDE: Record<string, string> = {
  anchors: 'a: &x 1\nb: *x\n',
  merge: 'base: &b {x: 1}\nc:\n  <<: *b\n',
  'block scalar': 'a: |\n  text\n',
  'multi-line plain': 'a: one\n  two\n',
  tags: 'a: !!str 1\n',
  'an empty value with a comment': 'a:\n  b:   # note\n',
  'a quoted key in a flow mapping': 'a: { "k": 1 }\n',
  'a flow collection over several lines': 'a: [1,\n  2]\n',
  'quoted key': '"a": 1\n',
  tab: 'a:\n\tb: 1\n',
  crlf: 'a: 1\r\nb: 2\r\n',
  duplicate: 'a: 1\na: 2\n',
  documents: '---\na: 1\n',
  'top-level list': '- a\n- b\n',
  'unknown escape': 'a: "\\x41"\n',
  'compact nested mapping error': 'a: b: c\n',
  infinity: 'a: .inf\n',
  'trailing comma': 'a: [1, 2,]\n',
  'unclosed flow': 'a: [1, 2\n',
  'indented top': '  a: 1\n',
  empty: '',
  'only comments': '# nothing\n',
};

describe('the common-subset YAML reader', () => {
  for (const [name, text] of Object.entries(COMMON)) {
    it(`reads ${name} exactly as the full parser does`, () => {
      assert.equal(agree(text), true, 'the fast reader gave up on a text it is meant to read');
    });
  }

  for (const [name, text] of Object.entries(OUTSIDE)) {
    it(`leaves ${name} to the full parser`, () => {
      assert.equal(parseCommonYaml(text, 100_000), undefined);
    });
  }

  it('gives up past the node limit, so the full parser reports it', () => {
    const text = `list: [${Array.from({ length: 50 }, (_, i) => i).join(', ')}]\n`;
    assert.equal(parseCommonYaml(text, 20), undefined);
    assert.notEqual(parseCommonYaml(text, 100), undefined);
  });

  it('agrees with the full parser on every YAML file of the project, or leaves it to it', () => {
    const root = resolve(import.meta.dirname, '../../..');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(name) && name !== 'pnpm-lock.yaml') files.push(path);
      }
    };
    walk(root);
    assert.ok(files.length > 20, `found ${files.length} YAML files`);
    let read = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const slow = full(text);
      if (slow.problems > 0) continue; // mistakes are the full parser's to tell
      if (agree(text)) read++;
    }
    assert.ok(read > files.length / 2, `the fast reader read ${read} of ${files.length} files`);
  });

  it('agrees on 3 000 generated configurations in the common shape', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;
    const scalars = [
      'word',
      'two words',
      '42',
      '-1',
      '3.25',
      '1e3',
      '0x10',
      'true',
      'no',
      '~',
      'null',
      '10ms',
      '"quoted # not a comment"',
      "'it''s'",
      '"a\\tb"',
      '-c',
      '--flag',
      'http://x:1/y',
      'a#b',
      '""',
      'ünï',
    ];
    const keys = ['a', 'b', 'web', 'db', 'command', 'env', 'x-1', 'k_2', '8080', 'true', 'null'];
    const comment = (): string => (rand(5) === 0 ? '   # note' : '');
    const blanks = (indent: string): string =>
      rand(6) === 0 ? (rand(2) === 0 ? '\n' : `${indent}# comment line\n`) : '';
    const value = (indent: string, depth: number): string => {
      const r = depth > 3 ? 0 : rand(7);
      if (r <= 2) return ` ${pick(scalars)}${comment()}\n`;
      if (r === 3) {
        const items = Array.from({ length: rand(4) }, () => pick(scalars));
        return ` [${items.join(', ')}]${comment()}\n`;
      }
      if (r === 4) {
        if (rand(3) === 0) return `${comment()}\n`;
        const entries = Array.from({ length: rand(3) }, (_, i) => `k${i}: ${pick(scalars)}`);
        return ` { ${entries.join(', ')} }${comment()}\n`;
      }
      if (r === 5) return `${comment()}\n${seq(rand(2) === 0 ? indent : `${indent}  `, depth + 1)}`;
      return `${comment()}\n${map(`${indent}  `, depth + 1)}`;
    };
    const map = (indent: string, depth: number, first = ''): string => {
      const used = new Set<string>();
      let out = '';
      for (let i = 0, n = 1 + rand(4); i < n; i++) {
        const k = pick(keys);
        if (used.has(k)) continue;
        used.add(k);
        out += `${blanks(indent)}${i === 0 && first !== '' ? first : indent}${k}:${value(indent, depth)}`;
      }
      return out;
    };
    const seq = (indent: string, depth: number): string => {
      let out = '';
      for (let i = 0, n = 1 + rand(3); i < n; i++) {
        out += blanks(indent);
        if (depth < 4 && rand(3) === 0) out += map(`${indent}  `, depth + 1, `${indent}- `);
        else out += `${indent}- ${pick(scalars)}${comment()}\n`;
      }
      return out;
    };
    let read = 0;
    for (let n = 0; n < 3000; n++) {
      const text = map('', 0);
      if (agree(text)) read++;
    }
    assert.ok(read > 2900, `the fast reader read ${read} of 3000 generated configurations`);
  });
});
