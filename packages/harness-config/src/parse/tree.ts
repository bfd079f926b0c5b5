import type { Range } from '../errors/diagnostics.js';
import type { TextPart } from '../resolve/text.js';

/**
 * The located tree: plain YAML data (maps, sequences, scalars) where every node keeps its source
 * range, with aliases and `<<` merge keys already expanded. Every later stage works on it, so every
 * problem can point at its line and column.
 */
export type Node = MapNode | SeqNode | ScalarNode;

/** A scalar value. */
export interface ScalarNode {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  readonly range: Range;
  /**
   * Offset in the source of the value's first character when each character of a string value is
   * exactly one source character (plain or simple quoted scalars), so positions inside the string
   * can be pointed at; undefined otherwise.
   */
  readonly valueOffset: number | undefined;
  /** True when the value came out of interpolation (then `"8080"` may stand for a number). */
  readonly interpolated?: boolean;
  /** Set by interpolation when substituting the string failed (already reported; not checked again). */
  readonly failed?: boolean;
  /** Set by interpolation when the string holds service references, kept for start time. */
  readonly template?: readonly TextPart[];
}

/** One `key: value` entry of a mapping. */
export interface Entry {
  readonly key: string;
  readonly keyRange: Range;
  readonly value: Node;
}

/** A mapping; keys are unique (duplicates are reported by the parser and the first one kept). */
export interface MapNode {
  readonly kind: 'map';
  readonly entries: readonly Entry[];
  readonly range: Range;
}

/** A sequence. */
export interface SeqNode {
  readonly kind: 'seq';
  readonly items: readonly Node[];
  readonly range: Range;
}

/**
 * Finds an entry of a mapping by key.
 *
 * @example
 * entryOf(root, 'services')?.value.kind; // 'map'
 */
export function entryOf(node: Node | undefined, key: string): Entry | undefined {
  if (node?.kind !== 'map') return undefined;
  return node.entries.find((e) => e.key === key);
}

/**
 * True for a scalar whose interpolation failed: its problem is reported, so schema checks skip it
 * rather than report a second, confusing problem about the same text.
 *
 * @example
 * if (isFailed(node)) return INVALID;
 */
export function isFailed(node: Node): boolean {
  return node.kind === 'scalar' && node.failed === true;
}
