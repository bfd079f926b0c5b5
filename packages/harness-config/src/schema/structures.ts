import type { ConfigErrorCode } from '../errors/config-error.js';
import type { Range } from '../errors/diagnostics.js';
import { didYouMean } from '../errors/suggest.js';
import { isFailed, type Node } from '../parse/tree.js';
import {
  type Field,
  INVALID,
  type Invalid,
  type JsonSchema,
  type Path,
  type Schema,
  wrongType,
} from './schema.js';

/**
 * A list of items; each item is checked and invalid ones are left out.
 *
 * @example
 * const volumes = list(string());
 */
export function list<T>(item: Schema<T>, options: { readonly minItems?: number } = {}): Schema<T[]> {
  const expected = `a list of ${item.expected.replace(/^an? /, '')}s`;
  return {
    expected,
    check(node, path, diag) {
      if (node.kind !== 'seq') return wrongType(diag, node, path, expected);
      if (options.minItems !== undefined && node.items.length < options.minItems) {
        diag.report({
          code: 'INVALID_VALUE',
          range: node.range,
          path,
          message: `expected at least ${options.minItems} item(s), found none`,
        });
        return INVALID;
      }
      const out: T[] = [];
      node.items.forEach((child, i) => {
        if (isFailed(child)) return;
        const value = item.check(child, [...path, i], diag);
        if (value !== INVALID) out.push(value);
      });
      return out;
    },
    json: () => ({
      type: 'array',
      items: item.json(),
      ...(options.minItems ? { minItems: options.minItems } : {}),
    }),
  };
}

/** One entry of a {@link record}, with where its key is written. */
export interface Keyed<T> {
  readonly key: string;
  readonly keyRange: Range;
  readonly value: T;
}

/**
 * A mapping from names to values, e.g. `services` or `ports`. Names must match `key.regex`.
 *
 * @example
 * const ports = record(number({ integer: true }), { regex: /^[a-z]+$/, what: 'a port name' });
 */
export function record<T>(
  value: Schema<T>,
  key: { readonly regex: RegExp; readonly what: string },
): Schema<Keyed<T>[]> {
  const expected = 'a mapping';
  return {
    expected,
    check(node, path, diag) {
      if (node.kind !== 'map') return wrongType(diag, node, path, expected);
      const out: Keyed<T>[] = [];
      for (const entry of node.entries) {
        if (!key.regex.test(entry.key)) {
          diag.report({
            code: 'INVALID_NAME',
            range: entry.keyRange,
            path: [...path, entry.key],
            message: `\`${entry.key}\` is not a valid ${key.what}`,
            hint: `a ${key.what} matches ${key.regex.source}`,
          });
          continue;
        }
        if (isFailed(entry.value)) continue;
        const checked = value.check(entry.value, [...path, entry.key], diag, entry.keyRange);
        if (checked !== INVALID) out.push({ key: entry.key, keyRange: entry.keyRange, value: checked });
      }
      return out;
    },
    json: () => ({
      type: 'object',
      propertyNames: { pattern: key.regex.source },
      additionalProperties: value.json(),
    }),
  };
}

/** A group of keys of which exactly one must be present (a service's target, a probe's kind). */
export interface ExactlyOne {
  readonly keys: readonly string[];
  /** Words for messages, e.g. `target`. */
  readonly what: string;
  readonly missing: ConfigErrorCode;
  readonly conflict: ConfigErrorCode;
}

/** The value an object schema produces: every property optional (invalid ones are left out). */
export type ObjectOf<F extends Record<string, Field<unknown>>> = {
  [K in keyof F]?: F[K] extends Field<infer T> ? T : never;
};

/**
 * A mapping with known keys. Unknown keys are errors with a "did you mean"; `x-` keys are allowed
 * when `extensions` is set (a home for YAML anchors).
 *
 * @example
 * const shutdown = object({ signal: optional(signalSchema, 'The signal.'), timeout: optional(duration(), 'Grace.') });
 */
export function object<F extends Record<string, Field<unknown>>>(
  fields: F,
  options: {
    readonly exactlyOne?: ExactlyOne;
    readonly extensions?: boolean;
    readonly description?: string;
    /** Hints for keys that belong somewhere else, e.g. `env` at the service level. */
    readonly misplaced?: Readonly<Record<string, string>>;
  } = {},
): Schema<ObjectOf<F>> {
  const names = Object.keys(fields);
  return {
    expected: 'a mapping',
    check(node, path, diag, owner) {
      if (node.kind !== 'map') return wrongType(diag, node, path, 'a mapping');
      const out: Record<string, unknown> = {};
      for (const entry of node.entries) {
        const field = fields[entry.key];
        if (field === undefined) {
          if (options.extensions && entry.key.startsWith('x-')) continue;
          diag.report({
            code: 'UNKNOWN_KEY',
            range: entry.keyRange,
            path: [...path, entry.key],
            message: `unknown key \`${entry.key}\``,
            hint: options.misplaced?.[entry.key] ?? didYouMean(entry.key, names, 12),
          });
          continue;
        }
        if (isFailed(entry.value)) continue;
        const value = field.schema.check(entry.value, [...path, entry.key], diag, entry.keyRange);
        if (value !== INVALID) out[entry.key] = value;
      }
      for (const name of names) {
        if (fields[name]?.required && !node.entries.some((e) => e.key === name)) {
          diag.report({
            code: 'MISSING_KEY',
            range: owner ?? node.range,
            path,
            message: `missing required key \`${name}\``,
            hint: fields[name]?.description,
          });
        }
      }
      if (options.exactlyOne) checkExactlyOne(options.exactlyOne, node, path, diag, owner);
      return out as ObjectOf<F>;
    },
    json() {
      const properties: Record<string, JsonSchema> = {};
      for (const [name, field] of Object.entries(fields)) {
        properties[name] = {
          description: field.description,
          ...(field.default !== undefined ? { default: field.default } : {}),
          ...field.schema.json(),
        };
      }
      const requiredNames = names.filter((n) => fields[n]?.required);
      return {
        type: 'object',
        ...(options.description ? { description: options.description } : {}),
        properties,
        ...(requiredNames.length > 0 ? { required: requiredNames } : {}),
        ...(options.extensions ? { patternProperties: { '^x-': {} } } : {}),
        additionalProperties: false,
        ...(options.exactlyOne ? { oneOf: options.exactlyOne.keys.map((k) => ({ required: [k] })) } : {}),
      };
    },
  };
}

function checkExactlyOne(
  group: ExactlyOne,
  node: Extract<Node, { kind: 'map' }>,
  path: Path,
  diag: Parameters<Schema<unknown>['check']>[2],
  owner: Range | undefined,
): void {
  const present = node.entries.filter((e) => group.keys.includes(e.key));
  const list = group.keys.map((k) => `\`${k}\``).join(', ');
  if (present.length === 0) {
    diag.report({
      code: group.missing,
      range: owner ?? node.range,
      path,
      message: `no ${group.what}: expected one of ${list}`,
      hint: `add exactly one of ${list}`,
    });
  } else if (present.length > 1) {
    const [first, second] = present;
    diag.report({
      code: group.conflict,
      range: second?.keyRange,
      path: [...path, second?.key ?? ''],
      message: `more than one ${group.what}: \`${first?.key}\` and \`${second?.key}\``,
      hint: `keep exactly one of ${list}`,
    });
  }
}

/**
 * Picks a schema by the node's kind (scalar, list or mapping), e.g. a command written as a string
 * or as a list.
 *
 * @example
 * const command = byKind({ scalar: text(), seq: list(text()) });
 */
export function byKind<A = never, B = never, C = never>(alts: {
  readonly scalar?: Schema<A>;
  readonly seq?: Schema<B>;
  readonly map?: Schema<C>;
}): Schema<A | B | C> {
  const present: Schema<A | B | C>[] = [];
  for (const s of [alts.scalar, alts.seq, alts.map] as (Schema<A | B | C> | undefined)[])
    if (s) present.push(s);
  const expected = present.map((s) => s.expected).join(' or ');
  return {
    expected,
    check(node, path, diag, owner) {
      const schema: Schema<A | B | C> | undefined =
        node.kind === 'scalar' ? alts.scalar : node.kind === 'seq' ? alts.seq : alts.map;
      if (
        schema === undefined ||
        (node.kind === 'scalar' && node.value === null && alts.scalar === undefined)
      ) {
        return wrongType(diag, node, path, expected);
      }
      return schema.check(node, path, diag, owner);
    },
    json: () => ({ anyOf: present.map((s) => s.json()) }),
  };
}

/**
 * Adds a check (and optionally a conversion) after a schema's own.
 *
 * @example
 * const regex = refine(string(), (value, node, path, diag) => { new RegExp(value); return value; });
 */
export function refine<T, U>(
  schema: Schema<T>,
  then: (value: T, node: Node, path: Path, diag: Parameters<Schema<T>['check']>[2]) => U | Invalid,
  json?: JsonSchema,
): Schema<U> {
  return {
    expected: schema.expected,
    check(node, path, diag, owner) {
      const value = schema.check(node, path, diag, owner);
      return value === INVALID ? INVALID : then(value, node, path, diag);
    },
    json: () => ({ ...schema.json(), ...json }),
  };
}

/**
 * Keeps where a value was written, for problems found later (an unknown host, a cycle).
 *
 * @example
 * const host = located(string()); // { value: 'edge-1', range: [120, 126] }
 */
export function located<T>(schema: Schema<T>): Schema<{ readonly value: T; readonly range: Range }> {
  return {
    expected: schema.expected,
    check(node, path, diag, owner) {
      const value = schema.check(node, path, diag, owner);
      return value === INVALID ? INVALID : { value, range: node.range };
    },
    json: () => schema.json(),
  };
}
