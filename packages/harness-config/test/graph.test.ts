import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, type Dependency, findCycles, ServiceGraph, startGraph } from '../src/index.js';
import { parse } from './helpers.js';

const dep = (service: string): Dependency => ({ service, condition: 'started' });
const graphOf = (spec: Record<string, string[]>) =>
  new ServiceGraph(new Map(Object.entries(spec).map(([k, v]) => [k, v.map(dep)])), 'harness.yaml');

describe('ServiceGraph', () => {
  const shop = graphOf({ web: ['api'], api: ['db', 'cache'], db: [], cache: [], worker: ['db'], docs: [] });

  it('starts independents together, in waves', () => {
    assert.deepEqual(shop.startWaves(), [['db', 'cache', 'docs'], ['api', 'worker'], ['web']]);
    assert.deepEqual(shop.startOrder(), ['db', 'cache', 'docs', 'api', 'worker', 'web']);
  });

  it('stops dependents before what they depend on', () => {
    assert.deepEqual(shop.shutdownWaves(), [['web', 'worker', 'docs'], ['api'], ['db', 'cache']]);
    assert.deepEqual(shop.shutdownOrder(), ['web', 'worker', 'docs', 'api', 'db', 'cache']);
  });

  it('restricts to the named services and their transitive dependencies', () => {
    const sub = shop.subgraph(['api']);
    assert.deepEqual(sub.services, ['api', 'db', 'cache']);
    assert.deepEqual(sub.startWaves(), [['db', 'cache'], ['api']]);
    assert.deepEqual([...shop.transitiveDependencies('web')].sort(), ['api', 'cache', 'db']);
    assert.deepEqual(shop.dependentsOf('db'), ['api', 'worker']);
  });

  it('rejects an unknown service with a suggestion', () => {
    assert.throws(
      () => shop.subgraph(['wbe']),
      (e: unknown) =>
        e instanceof ConfigError && e.code === 'UNKNOWN_SERVICE' && e.hint === 'did you mean `web`?',
    );
  });

  it('refuses a cyclic graph, naming the cycle', () => {
    assert.throws(
      () => graphOf({ a: ['b'], b: ['a'] }),
      (e: unknown) =>
        e instanceof ConfigError && e.code === 'DEPENDENCY_CYCLE' && e.message.includes('a → b → a'),
    );
  });
});

describe('findCycles', () => {
  it('finds each cycle once, from its first node in declaration order', () => {
    const edges = new Map([
      ['x', ['y']],
      ['y', ['z']],
      ['z', ['x', 'w']],
      ['w', []],
      ['s', ['s']],
      ['p', ['q']],
      ['q', ['p', 'missing']],
    ]);
    assert.deepEqual(findCycles(edges), [
      ['x', 'y', 'z', 'x'],
      ['s', 's'],
      ['p', 'q', 'p'],
    ]);
  });

  it('handles a deep chain without recursion limits', () => {
    const edges = new Map<string, string[]>();
    for (let i = 0; i < 20_000; i++) edges.set(`s${i}`, i > 0 ? [`s${i - 1}`] : []);
    assert.deepEqual(findCycles(edges), []);
  });
});

describe('startGraph', () => {
  const { config } = parse(
    [
      'services:',
      '  db: { process: { command: x }, disabled: true }',
      '  api: { process: { command: x }, depends_on: [db] }',
      '  tool: { process: { command: x }, disabled: true }',
      '',
    ].join('\n'),
  );

  it('starts enabled services and what they need, a disabled dependency included', () => {
    assert.ok(config);
    assert.deepEqual(startGraph(config).startWaves(), [['db'], ['api']]);
  });

  it('starts a disabled service when it is named', () => {
    assert.ok(config);
    assert.deepEqual(startGraph(config, ['tool']).startOrder(), ['tool']);
    assert.deepEqual(ServiceGraph.fromConfig(config).startOrder(), ['db', 'tool', 'api']);
  });
});
