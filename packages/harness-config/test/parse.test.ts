import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Diagnostics, entryOfForTest, type MapNode, parseYaml, SourceText } from './parse-helpers.js';

function tree(text: string): { root: MapNode | undefined; diag: Diagnostics } {
  const diag = new Diagnostics(new SourceText('t.yaml', text));
  return { root: parseYaml(diag), diag };
}

describe('parseYaml', () => {
  it('keeps the range of every key and value', () => {
    const text = 'name: shop\nservices:\n  api: { replicas: 2 }\n';
    const { root } = tree(text);
    const services = entryOfForTest(root, 'services');
    const api = services?.value.kind === 'map' ? services.value.entries[0] : undefined;
    assert.equal(api?.key, 'api');
    assert.equal(text.slice(api?.keyRange[0], api?.keyRange[1]), 'api');
    const replicas = api?.value.kind === 'map' ? api.value.entries[0]?.value : undefined;
    assert.equal(replicas?.kind === 'scalar' ? replicas.value : undefined, 2);
    assert.equal(text.slice(replicas?.range[0], replicas?.range[1]), '2');
  });

  it('expands aliases and `<<` merge keys, explicit keys winning', () => {
    const { root, diag } = tree('x-base: &base { a: 1, b: 2 }\nsvc:\n  <<: *base\n  b: 3\nlist: [*base]\n');
    assert.equal(diag.errors.length, 0);
    const svc = entryOfForTest(root, 'svc')?.value;
    assert.equal(svc?.kind, 'map');
    const values =
      svc?.kind === 'map'
        ? svc.entries.map((e) => [e.key, e.value.kind === 'scalar' ? e.value.value : '?'])
        : [];
    assert.deepEqual(values, [
      ['b', 3],
      ['a', 1],
    ]);
  });

  it('merges a list of mappings with earlier ones winning', () => {
    const { root } = tree('x: &x { a: 1 }\ny: &y { a: 2, b: 2 }\nz:\n  <<: [*x, *y]\n');
    const z = entryOfForTest(root, 'z')?.value;
    const values =
      z?.kind === 'map' ? z.entries.map((e) => [e.key, e.value.kind === 'scalar' ? e.value.value : '?']) : [];
    assert.deepEqual(values, [
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('reports every duplicate key and keeps the first value', () => {
    const { root, diag } = tree('a: 1\na: 2\nb: 1\nb: 2\n');
    assert.deepEqual(
      diag.errors.map((e) => `${e.code}@${e.line}:${e.column}`),
      ['DUPLICATE_KEY@2:1', 'DUPLICATE_KEY@4:1'],
    );
    const a = entryOfForTest(root, 'a')?.value;
    assert.equal(a?.kind === 'scalar' ? a.value : undefined, 1);
  });

  it('rejects binary text', () => {
    const { root, diag } = tree('a: 1\u0000\u0001');
    assert.equal(root, undefined);
    assert.equal(diag.errors[0]?.code, 'FILE_BINARY');
  });

  it('rejects a file of only comments as empty', () => {
    const { root, diag } = tree('# nothing\n\n');
    assert.equal(root, undefined);
    assert.equal(diag.errors[0]?.code, 'FILE_EMPTY');
  });

  it('stops an alias bomb at the node limit', () => {
    const diag = new Diagnostics(
      new SourceText('t.yaml', 'a: &a [1, 1, 1]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n'),
    );
    assert.equal(parseYaml(diag, { maxNodes: 20 }), undefined);
    assert.equal(diag.errors[0]?.code, 'ALIAS_LIMIT');
  });

  it('reports a key that is a mapping', () => {
    const { diag } = tree('? { a: 1 }\n: 2\n');
    assert.equal(diag.errors[0]?.code, 'WRONG_TYPE');
  });

  it('knows where string values start, for positions inside them', () => {
    const text = 'a: plain\nb: "quoted"\nc: "esc\\taped"\n';
    const { root } = tree(text);
    const at = (k: string) => {
      const v = entryOfForTest(root, k)?.value;
      return v?.kind === 'scalar' ? v.valueOffset : -1;
    };
    assert.equal(at('a'), text.indexOf('plain'));
    assert.equal(at('b'), text.indexOf('quoted'));
    assert.equal(at('c'), undefined);
  });
});
