// Stage-level imports for tests: the stages are exported from the package's entry point.
export { Diagnostics, type MapNode, parseYaml, SourceText } from '../src/index.js';
import type { Entry, Node } from '../src/index.js';

/** Finds a mapping entry by key. */
export function entryOfForTest(node: Node | undefined, key: string): Entry | undefined {
  return node?.kind === 'map' ? node.entries.find((e) => e.key === key) : undefined;
}
