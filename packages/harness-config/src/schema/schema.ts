import type { Diagnostics, Range } from '../errors/diagnostics.js';
import type { Node } from '../parse/tree.js';

/** A JSON Schema (draft-07) fragment. */
export type JsonSchema = { [key: string]: unknown };

/** Returned by a check when the node is invalid (the problem has been reported). */
export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** A key path inside the configuration. */
export type Path = readonly (string | number)[];

/**
 * One schema node: checks a located node (reporting every problem to `diag`) and describes itself
 * as JSON Schema. The validator and the published JSON Schema both come from the same description.
 */
export interface Schema<T> {
  /** What is expected, in words, for messages: `a string`, `a duration like \`5s\``. */
  readonly expected: string;
  /**
   * Checks `node`. `owner` is the range of the key holding the node, where "missing key" problems
   * point.
   */
  check(node: Node, path: Path, diag: Diagnostics, owner?: Range): T | Invalid;
  /** The JSON Schema of this node. */
  json(): JsonSchema;
}

/** The value type a schema produces. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A property of an object schema. */
export interface Field<T> {
  readonly schema: Schema<T>;
  readonly required: boolean;
  readonly description: string;
  /** The default, as documented (shown in the JSON Schema). */
  readonly default?: unknown;
}

/**
 * A required property.
 *
 * @example
 * const image = required(string(), 'The image to run, e.g. `redis:7`.');
 */
export function required<T>(schema: Schema<T>, description: string): Field<T> {
  return { schema, required: true, description };
}

/**
 * An optional property, with its documented default when there is one.
 *
 * @example
 * const replicas = optional(integer({ min: 1 }), 'How many instances to run.', 1);
 */
export function optional<T>(schema: Schema<T>, description: string, defaultValue?: unknown): Field<T> {
  return defaultValue === undefined
    ? { schema, required: false, description }
    : { schema, required: false, description, default: defaultValue };
}

/**
 * Reports a node of the wrong type.
 *
 * @example
 * return wrongType(diag, node, path, 'a string');
 */
export function wrongType(
  diag: Diagnostics,
  node: Node,
  path: Path,
  expected: string,
  hint?: string,
): Invalid {
  diag.report({
    code: 'WRONG_TYPE',
    range: node.range,
    path,
    message: `expected ${expected}, found ${describe(node)}`,
    hint,
  });
  return INVALID;
}

function describe(node: Node): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing';
  if (typeof node.value === 'string') {
    const v = node.value.length > 40 ? `${node.value.slice(0, 37)}...` : node.value;
    return `the string ${JSON.stringify(v)}`;
  }
  return `${typeof node.value === 'number' ? 'the number' : 'the boolean'} ${String(node.value)}`;
}
