// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about the ${…} syntax, written literally
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  parseEnvFile,
  parseInterpolation,
  type ProcessTarget,
  renderText,
  textRefs,
  textToSource,
} from '../src/index.js';
import { codes, parse, tempDir } from './helpers.js';

const command = (yaml: string, env: Record<string, string> = {}) => {
  const result = parse(`services:\n  a:\n    process: { command: ${yaml} }\n`, { env });
  const target = result.config?.services.a?.target as ProcessTarget | undefined;
  return { result, command: target?.command };
};

describe('parseInterpolation', () => {
  it('splits literals, variables with modifiers, references and $$', () => {
    const { pieces, problems } = parseInterpolation(
      'a ${X} ${Y:-d} ${Z-e} ${W:?m} ${V?n} $$ $HOME ${services.db.ports.pg}',
    );
    assert.deepEqual(problems, []);
    const shape = pieces.map((p) =>
      p.kind === 'literal' ? p.text : p.kind === 'variable' ? `${p.name}${p.modifier ?? ''}` : p.expression,
    );
    assert.deepEqual(shape, [
      'a ',
      'X',
      ' ',
      'Y:-',
      ' ',
      'Z-',
      ' ',
      'W:?',
      ' ',
      'V?',
      ' $ $HOME ',
      'services.db.ports.pg',
    ]);
  });

  it('parses nested defaults', () => {
    const { pieces } = parseInterpolation('${A:-${B:-x}}');
    const first = pieces[0];
    assert.equal(first?.kind, 'variable');
    assert.equal(first?.kind === 'variable' ? first.argument[0]?.kind : undefined, 'variable');
  });

  it('reports each syntax problem with its offset', () => {
    const { problems } = parseInterpolation('ok ${1A} ${B:x} ${services.db} ${C');
    assert.deepEqual(
      problems.map((p) => p.start),
      [3, 9, 16, 31],
    );
  });
});

describe('interpolation', () => {
  it('substitutes variables and keeps $$ as a literal $ for the shell', () => {
    const { command: c } = command('"echo ${GREETING:-hi} $$HOME ${NAME}"', { NAME: 'bob' });
    assert.deepEqual(c, { shell: true, script: 'echo hi $HOME bob' });
  });

  it('distinguishes :- (unset or empty) from - (unset)', () => {
    assert.deepEqual(command('"${E:-a}/${E-b}"', { E: '' }).command, { shell: true, script: 'a/' });
    assert.deepEqual(command('"${U:-a}/${U-b}"').command, { shell: true, script: 'a/b' });
  });

  it('warns about an unset variable and uses an empty string', () => {
    const { result, command: c } = command('"echo [${NOPE}]"');
    assert.deepEqual(c, { shell: true, script: 'echo []' });
    assert.deepEqual(codes(result, 'warnings'), ['UNSET_VARIABLE@3:32']);
    assert.match(result.warnings[0]?.message ?? '', /NOPE/);
  });

  it('names a missing required variable and its message', () => {
    const { result } = command('"run ${TOKEN:?ask the team for a token}"');
    assert.deepEqual(codes(result), ['MISSING_VARIABLE@3:30']);
    assert.match(result.errors[0]?.message ?? '', /`TOKEN`.*ask the team for a token/);
    assert.equal(result.errors[0]?.path, 'services.a.process.command');
  });

  it('turns an interpolated number or boolean into its type', () => {
    const result = parse(
      'services:\n  a:\n    process: { command: x }\n    ports: { http: "${PORT}" }\n    disabled: ${OFF}\n',
      {
        env: { PORT: '8080', OFF: 'true' },
      },
    );
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.config?.services.a?.ports, { http: 8080 });
    assert.equal(result.config?.services.a?.disabled, true);
  });

  it('keeps a number-looking env value as written', () => {
    const result = parse('services:\n  a:\n    process: { command: x, env: { ZIP: "${ZIP}" } }\n', {
      env: { ZIP: '007' },
    });
    assert.equal(result.config?.services.a?.env.ZIP, '007');
  });

  it('gives the process environment precedence over env files, and env files over `env`', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'one.env'), 'A=file-one\nB=file-one\nC=file-one\n');
    writeFileSync(join(dir, 'two.env'), 'B=file-two\n');
    const text = [
      'env_file: [one.env, two.env]',
      'env: { A: stack, B: stack, C: stack, D: stack, E: "${D}-derived" }',
      'services:',
      '  a:',
      '    process: { command: "echo ${A} ${B} ${C} ${D} ${E}" }',
      '',
    ].join('\n');
    const result = parse(text, { baseDir: dir, env: { A: 'process' } });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.config?.services.a?.target, {
      kind: 'process',
      command: { shell: true, script: 'echo process file-two file-one stack stack-derived' },
      cwd: dir,
    });
    assert.deepEqual(result.config?.env, {
      A: 'process',
      B: 'file-two',
      C: 'file-one',
      D: 'stack',
      E: 'stack-derived',
    });
    assert.deepEqual(result.config?.services.a?.env, result.config?.env);
  });

  it('keeps service references as typed parts', () => {
    const text = [
      'services:',
      '  db:',
      '    process: { command: postgres }',
      '    ports: { pg: 5432, admin: 5433 }',
      '  api:',
      '    process: { command: [node, server.js, "--db=${services.db.host}:${services.db.port}"] }',
      '    depends_on: [db]',
      '',
    ].join('\n');
    const result = parse(text);
    assert.deepEqual(result.errors, []);
    const api = result.config?.services.api;
    const target = api?.target as ProcessTarget;
    assert.equal(target.command.shell, false);
    const arg = target.command.shell ? undefined : target.command.argv[2];
    assert.ok(arg !== undefined && typeof arg !== 'string');
    assert.deepEqual(
      textRefs(arg).map((r) => (r.property === 'port' ? `${r.service}:${r.port}` : `${r.service}:host`)),
      ['db:host', 'db:pg'],
    );
    assert.equal(
      renderText(arg, (r) => (r.property === 'host' ? '10.0.0.7' : '5432')),
      '--db=10.0.0.7:5432',
    );
    assert.equal(textToSource(arg), '--db=${services.db.host}:${services.db.port}');
    assert.equal(api?.refs.length, 2);
  });

  it('writes literal dollars back doubled', () => {
    assert.equal(textToSource('cost: $5'), 'cost: $$5');
  });
});

describe('parseEnvFile', () => {
  it('reads assignments, exports, quotes and comments', () => {
    const { values, problems } = parseEnvFile(
      '# c\nexport A=1\nB = two words # note\nC="x\\ny"\nD=\'$raw\'\n\nE=\n',
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(Object.fromEntries(values), { A: '1', B: 'two words', C: 'x\ny', D: '$raw', E: '' });
  });

  it('reports lines that are not assignments and unterminated quotes', () => {
    const { problems } = parseEnvFile('OK=1\nnot an assignment\nQ="open\n');
    assert.deepEqual(
      problems.map((p) => `${p.line}:${p.column}`),
      ['2:1', '3:3'],
    );
  });
});
