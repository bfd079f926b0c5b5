import { didYouMean } from '../errors/suggest.js';
import type { Node, ScalarNode } from '../parse/tree.js';
import { type TextValue, toTextValue } from '../resolve/text.js';
import { parseDuration } from './duration.js';
import { formatSize, parseSize, SIZE_PATTERN } from './size.js';
import { INVALID, type Invalid, type JsonSchema, type Path, type Schema, wrongType } from './schema.js';

/** JSON Schema for a string that interpolation turns into a number or boolean (`${PORT:-80}`). */
const INTERPOLATED: JsonSchema = { type: 'string', pattern: '\\$\\{' };

/** Options of {@link string} and {@link text}. */
export interface StringOptions {
  /** A pattern the value must match, with words for the message. */
  readonly pattern?: { readonly regex: RegExp; readonly expected: string };
  /** Reject the empty string (default true). */
  readonly nonEmpty?: boolean;
}

function stringValue(
  node: Node,
  path: Path,
  diag: Parameters<Schema<string>['check']>[2],
  expected: string,
  options: StringOptions,
) {
  if (node.kind !== 'scalar' || typeof node.value !== 'string') {
    const hint =
      node.kind === 'scalar' && (typeof node.value === 'number' || typeof node.value === 'boolean')
        ? `quote it: "${String(node.value)}"`
        : undefined;
    return wrongType(diag, node, path, expected, hint);
  }
  if (options.nonEmpty !== false && node.value.trim() === '') {
    diag.report({
      code: 'INVALID_VALUE',
      range: node.range,
      path,
      message: `expected ${expected}, found an empty string`,
    });
    return INVALID;
  }
  if (options.pattern && node.template === undefined && !options.pattern.regex.test(node.value)) {
    diag.report({
      code: 'INVALID_VALUE',
      range: node.range,
      path,
      message: `${JSON.stringify(node.value)} is not ${options.pattern.expected}`,
    });
    return INVALID;
  }
  return node;
}

function jsonString(options: StringOptions): JsonSchema {
  return {
    type: 'string',
    ...(options.nonEmpty !== false ? { minLength: 1 } : {}),
    ...(options.pattern ? { pattern: options.pattern.regex.source } : {}),
  };
}

/**
 * A string that may not hold service references.
 *
 * @example
 * const image = string(); // accepts `redis:7`, rejects `7` (a number) and `${services.x.host}`
 */
export function string(options: StringOptions = {}): Schema<string> {
  const expected = 'a string';
  return {
    expected,
    check(node, path, diag) {
      const ok = stringValue(node, path, diag, expected, options);
      if (ok === INVALID) return INVALID;
      if (ok.template) {
        diag.report({
          code: 'REF_NOT_ALLOWED',
          range: node.range,
          path,
          message: 'a service reference cannot be used here',
          hint: 'service references are allowed in commands, `env` values and probes',
        });
        return INVALID;
      }
      return ok.value as string;
    },
    json: () => jsonString(options),
  };
}

/**
 * A string that may hold service references (`${services.db.host}`), kept as a {@link TextValue}.
 *
 * @example
 * const url = text(); // 'http://${services.api.host}:8080/health' → a template
 */
export function text(options: StringOptions = {}): Schema<TextValue> {
  const expected = 'a string';
  return {
    expected,
    check(node, path, diag) {
      const ok = stringValue(node, path, diag, expected, options);
      if (ok === INVALID) return INVALID;
      return ok.template ? toTextValue(ok.template) : (ok.value as string);
    },
    json: () => jsonString(options),
  };
}

/**
 * A scalar turned into text: strings, numbers and booleans (`PORT: 5432` gives `"5432"`), as used
 * by `env` values. Service references are allowed when `allowRefs` is true.
 *
 * @example
 * const envValue = scalarText({ allowRefs: true });
 */
export function scalarText(options: { readonly allowRefs: boolean }): Schema<TextValue> {
  const inner = options.allowRefs ? text({ nonEmpty: false }) : string({ nonEmpty: false });
  const expected = 'a string, number or boolean';
  return {
    expected,
    check(node, path, diag, owner) {
      if (node.kind === 'scalar' && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
        return String(node.value);
      }
      if (node.kind !== 'scalar' || node.value === null) {
        return wrongType(
          diag,
          node,
          path,
          expected,
          node.kind === 'scalar' ? 'write `""` for an empty value' : undefined,
        );
      }
      return inner.check(node, path, diag, owner);
    },
    json: () => ({ type: ['string', 'number', 'boolean'] }),
  };
}

function numeric(node: Node): number | undefined {
  if (node.kind !== 'scalar') return undefined;
  if (typeof node.value === 'number') return node.value;
  if (node.interpolated && typeof node.value === 'string' && /^-?\d+(\.\d+)?$/.test(node.value.trim())) {
    return Number(node.value);
  }
  return undefined;
}

/** Bounds of a number, inclusive. */
export interface NumberOptions {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/**
 * A number (or an integer), within inclusive bounds; an interpolated string like `${PORT}` counts.
 *
 * @example
 * const port = number({ integer: true, min: 1, max: 65535 });
 */
export function number(options: NumberOptions = {}): Schema<number> {
  const kind = options.integer ? 'an integer' : 'a number';
  const expected =
    options.min !== undefined && options.max !== undefined
      ? `${kind} from ${options.min} to ${options.max}`
      : options.min !== undefined
        ? `${kind} of at least ${options.min}`
        : kind;
  return {
    expected,
    check(node, path, diag) {
      const value = numeric(node);
      if (value === undefined || (options.integer && !Number.isInteger(value))) {
        return wrongType(diag, node, path, expected);
      }
      if (
        (options.min !== undefined && value < options.min) ||
        (options.max !== undefined && value > options.max)
      ) {
        diag.report({
          code: 'OUT_OF_RANGE',
          range: node.range,
          path,
          message: `${value} is out of range: expected ${expected}`,
        });
        return INVALID;
      }
      return value;
    },
    json: () => ({
      anyOf: [
        {
          type: options.integer ? 'integer' : 'number',
          ...(options.min !== undefined ? { minimum: options.min } : {}),
          ...(options.max !== undefined ? { maximum: options.max } : {}),
        },
        INTERPOLATED,
      ],
    }),
  };
}

/**
 * `true` or `false` (an interpolated `"true"`/`"false"` counts).
 *
 * @example
 * const disabled = boolean();
 */
export function boolean(): Schema<boolean> {
  return {
    expected: '`true` or `false`',
    check(node, path, diag) {
      if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
      if (node.kind === 'scalar' && node.interpolated && (node.value === 'true' || node.value === 'false')) {
        return node.value === 'true';
      }
      const hint =
        node.kind === 'scalar' && typeof node.value === 'string'
          ? 'YAML booleans are `true` and `false`'
          : undefined;
      return wrongType(diag, node, path, '`true` or `false`', hint);
    },
    json: () => ({ anyOf: [{ type: 'boolean' }, INTERPOLATED] }),
  };
}

/**
 * One of a fixed set of strings, with a "did you mean" for near misses.
 *
 * @example
 * const policy = oneOf(['always', 'on-failure', 'never'] as const, 'a restart policy');
 */
export function oneOf<const V extends string>(values: readonly V[], what: string): Schema<V> {
  const list = values.map((v) => `\`${v}\``).join(', ');
  return {
    expected: `${what} (${list})`,
    check(node, path, diag) {
      if (node.kind !== 'scalar' || typeof node.value !== 'string') {
        return wrongType(diag, node, path, `${what}: one of ${list}`);
      }
      const found = values.find((v) => v === node.value);
      if (found !== undefined) return found;
      diag.report({
        code: 'INVALID_VALUE',
        range: node.range,
        path,
        message: `\`${node.value}\` is not ${what}; expected one of ${list}`,
        hint: didYouMean(node.value, values),
      });
      return INVALID;
    },
    json: () => ({ type: 'string', enum: [...values] }),
  };
}

/**
 * A duration such as `250ms`, `5s`, `1m30s` or `1h`, checked into milliseconds.
 *
 * @example
 * duration().check(node, path, diag); // 90000 for `1m30s`
 */
export function duration(): Schema<number> {
  const expected = 'a duration like `250ms`, `5s` or `1m30s`';
  return {
    expected,
    check(node, path, diag) {
      const scalar = node as ScalarNode;
      if (node.kind === 'scalar' && typeof node.value === 'number') {
        diag.report({
          code: 'INVALID_DURATION',
          range: node.range,
          path,
          message: `a duration needs a unit: found the number ${node.value}`,
          hint: `write \`${node.value}s\` for seconds or \`${node.value}ms\` for milliseconds`,
        });
        return INVALID;
      }
      if (node.kind !== 'scalar' || typeof scalar.value !== 'string')
        return wrongType(diag, node, path, expected);
      const ms = parseDuration(scalar.value);
      if (ms === undefined) {
        const bare = /^\d+(\.\d+)?$/.test(scalar.value.trim());
        diag.report({
          code: 'INVALID_DURATION',
          range: node.range,
          path,
          message: `${JSON.stringify(scalar.value)} is not a duration`,
          hint: bare
            ? `add a unit: \`${scalar.value.trim()}s\``
            : 'use `ms`, `s`, `m` or `h`, e.g. `250ms`, `5s`, `1m30s`',
        });
        return INVALID;
      }
      return ms;
    },
    json: () => ({ type: 'string', pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h))+$' }),
  };
}

/** Options of {@link size}. */
export interface SizeOptions {
  /** The smallest size allowed, in bytes (default 0). */
  readonly min?: number;
  /**
   * What a size of 0 means where it is allowed, e.g. `no rotation`: `off`, `none`, `false` and
   * the like are then answered with "write `0` for …".
   */
  readonly zero?: string;
}

const OFF_WORDS = new Set(['off', 'no', 'none', 'never', 'false', 'disabled', 'unlimited']);
const UNIT_HINT =
  'use `B`, `kB`, `MB`, `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024), e.g. `512KiB`, `10MiB`';

/** A hint for a size text that is not one, or undefined when nothing better than the units fits. */
function sizeHint(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact !== text) {
    return parseSize(compact) !== undefined ? `write it without a space: \`${compact}\`` : sizeHint(compact);
  }
  const m = /^(\d+(?:\.\d+)?)([kmg])(i?)(b?)$/i.exec(text);
  if (m) {
    const big = (m[2] ?? '').toUpperCase();
    const decimal = `${big === 'K' ? 'k' : big}B`;
    return `units are case-sensitive: write \`${m[1]}${big}iB\` (powers of 1024) or \`${m[1]}${decimal}\` (powers of 1000)`;
  }
  if (/^\d+\.\d+B$/.test(text))
    return 'a number of bytes is whole; give a larger unit for a fraction, e.g. `1.5KiB`';
  if (/^\d+(\.\d+)?b$/.test(text)) return `bytes are \`B\`: \`${text.slice(0, -1)}B\``;
  return undefined;
}

/**
 * A size in bytes: a whole number of bytes (`1048576`) or a number with a unit — `B`, `kB`,
 * `MB`, `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024): `512KiB`, `10MiB`, `1.5GB`.
 *
 * @example
 * const maxSize = size({ zero: 'no rotation' }); // 10485760 for `10MiB`, 0 for `0`
 */
export function size(options: SizeOptions = {}): Schema<number> {
  const min = options.min ?? 0;
  const expected = 'a size like `512KiB`, `10MiB` or `1GB`, or a number of bytes';
  const offHint = (word: string): string | undefined =>
    options.zero !== undefined && OFF_WORDS.has(word.toLowerCase())
      ? `write \`0\` for ${options.zero}`
      : undefined;
  const invalid = (
    node: Node,
    path: Path,
    diag: Parameters<Schema<number>['check']>[2],
    message: string,
    hint?: string,
  ): Invalid => {
    diag.report({ code: 'INVALID_SIZE', range: node.range, path, message, hint });
    return INVALID;
  };
  return {
    expected,
    check(node, path, diag) {
      if (node.kind !== 'scalar' || node.value === null) return wrongType(diag, node, path, expected);
      let bytes: number;
      if (typeof node.value === 'boolean') {
        return wrongType(diag, node, path, expected, offHint(String(node.value)));
      }
      if (typeof node.value === 'number') {
        if (node.value < 0) {
          return invalid(
            node,
            path,
            diag,
            `${node.value} is not a size: a size cannot be negative`,
            offHint('off'),
          );
        }
        if (!Number.isSafeInteger(node.value)) {
          return invalid(
            node,
            path,
            diag,
            `${node.value} is not a whole number of bytes`,
            Number.isFinite(node.value) ? `give a unit for a fraction, e.g. \`${node.value}MiB\`` : undefined,
          );
        }
        bytes = node.value;
      } else {
        const text = node.value.trim();
        const parsed = parseSize(text);
        if (parsed === undefined) {
          // Well written, so it failed for its size alone.
          const tooLarge = new RegExp(SIZE_PATTERN).test(text);
          return invalid(
            node,
            path,
            diag,
            tooLarge
              ? `${JSON.stringify(node.value)} is too large a size`
              : `${JSON.stringify(node.value)} is not a size`,
            tooLarge ? undefined : (offHint(text) ?? sizeHint(text) ?? UNIT_HINT),
          );
        }
        bytes = parsed;
      }
      if (bytes < min) {
        diag.report({
          code: 'OUT_OF_RANGE',
          range: node.range,
          path,
          message: `${formatSize(bytes)} is out of range: expected a size of at least ${formatSize(min)}`,
        });
        return INVALID;
      }
      return bytes;
    },
    json: () => ({
      anyOf: [{ type: 'integer', minimum: min }, { type: 'string', pattern: SIZE_PATTERN }, INTERPOLATED],
    }),
  };
}
