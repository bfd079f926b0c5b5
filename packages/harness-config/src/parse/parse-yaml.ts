import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node as YamlNode,
  parseDocument,
  Scalar,
} from 'yaml';
import type { Diagnostics, Range } from '../errors/diagnostics.js';
import { parseCommonYaml } from './common-yaml.js';
import type { Entry, MapNode, Node, ScalarNode } from './tree.js';

/** Limits of the parser, each with a documented default. */
export interface ParseLimits {
  /** Most nodes the expanded tree may hold, counting every alias expansion (default 100 000). */
  readonly maxNodes?: number;
}

const DEFAULT_MAX_NODES = 100_000;

/**
 * Parses YAML text into the located tree. Problems (syntax, duplicate keys, unknown anchors,
 * an empty or binary text, a top level that is not a mapping) are reported to `diag`; the result is
 * undefined when nothing sensible can be validated.
 *
 * @example
 * const diag = new Diagnostics(new SourceText('harness.yaml', 'services: {}\n'));
 * const root = parseYaml(diag); // { kind: 'map', entries: [...] }
 */
export function parseYaml(diag: Diagnostics, limits: ParseLimits = {}): MapNode | undefined {
  const { text, file } = diag.source;
  const nul = text.indexOf('\u0000');
  if (nul >= 0 || text.includes('\uFFFD')) {
    const offset = nul >= 0 ? nul : text.indexOf('\uFFFD');
    diag.report({
      code: 'FILE_BINARY',
      range: undefined,
      path: [],
      message: `${file} is not a text file (binary data at byte ${offset})`,
      hint: 'point -f at a harness.yaml file',
    });
    return undefined;
  }
  const max = limits.maxNodes ?? DEFAULT_MAX_NODES;
  // The common shape of a configuration is read without the full parser (same tree, far faster
  // when the code is cold, as in every CLI run); anything else goes through it.
  const common = parseCommonYaml(text, max);
  if (common !== undefined) return common;
  return parseWithYamlLibrary(diag, max);
}

/**
 * {@link parseYaml} through the full YAML parser alone: every construct, and the messages for
 * every mistake. (Exported for the differential test of the common-subset reader.)
 */
export function parseWithYamlLibrary(diag: Diagnostics, max = DEFAULT_MAX_NODES): MapNode | undefined {
  const { text, file } = diag.source;
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false, strict: true });
  let fatal = false;
  for (const error of doc.errors) {
    const range: Range = [error.pos[0], error.pos[1]];
    if (error.code === 'DUPLICATE_KEY') {
      const key = text.slice(range[0], range[1]).trim() || 'key';
      diag.report({
        code: 'DUPLICATE_KEY',
        range,
        path: [],
        message: `duplicate key \`${key}\``,
        hint: 'each key may appear once in a mapping; remove or rename one of them',
      });
      continue;
    }
    fatal = true;
    const message =
      error.code === 'MULTIPLE_DOCS'
        ? 'the file holds several YAML documents (`---`), but a configuration is one document'
        : `invalid YAML: ${lowerFirst(error.message.split('\n')[0] ?? '')}`;
    diag.report({ code: 'YAML_SYNTAX', range, path: [], message });
  }
  if (fatal) return undefined;
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    diag.report({
      code: 'FILE_EMPTY',
      range: undefined,
      path: [],
      message: `${file} is empty`,
      hint: 'a configuration needs at least `services:`; see docs/config.md',
    });
    return undefined;
  }
  const converter = new Converter(doc, diag);
  const root = converter.convert(doc.contents, []);
  if (root.kind !== 'map') {
    diag.report({
      code: 'NOT_A_MAPPING',
      range: root.range,
      path: [],
      message: 'the top level of a configuration must be a mapping (`name:`, `services:`, …)',
    });
    return undefined;
  }
  if (converter.size(root) > max) {
    diag.report({
      code: 'ALIAS_LIMIT',
      range: undefined,
      path: [],
      message: `the document expands to more than ${max} nodes through aliases`,
      hint: 'aliases that reference aliases multiply; this looks like an alias bomb',
    });
    return undefined;
  }
  return root;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Turns the YAML AST into the located tree, expanding aliases and merge keys. */
class Converter {
  readonly #doc: Document.Parsed;
  readonly #diag: Diagnostics;
  readonly #memo = new Map<YamlNode, Node>();
  readonly #active = new Set<YamlNode>();
  readonly #sizes = new Map<Node, number>();

  constructor(doc: Document.Parsed, diag: Diagnostics) {
    this.#doc = doc;
    this.#diag = diag;
  }

  convert(node: unknown, path: readonly (string | number)[]): Node {
    if (isAlias(node)) {
      const target = node.resolve(this.#doc);
      const range = toRange(node.range);
      if (target === undefined || this.#active.has(target)) {
        const why = target === undefined ? 'is not defined before it is used' : 'refers to itself';
        this.#diag.report({ code: 'YAML_SYNTAX', range, path, message: `anchor \`&${node.source}\` ${why}` });
        return { kind: 'scalar', value: null, range, valueOffset: undefined };
      }
      return this.convert(target, path);
    }
    if (isMap(node) || isSeq(node) || isScalar(node)) {
      const known = this.#memo.get(node);
      if (known) return known;
      this.#active.add(node);
      const result = isScalar(node)
        ? this.#scalar(node)
        : isMap(node)
          ? this.#map(node, path)
          : this.#seq(node, path);
      this.#active.delete(node);
      this.#memo.set(node, result);
      return result;
    }
    return { kind: 'scalar', value: null, range: [0, 0], valueOffset: undefined };
  }

  size(node: Node): number {
    const known = this.#sizes.get(node);
    if (known !== undefined) return known;
    let total = 1;
    if (node.kind === 'map') for (const e of node.entries) total += this.size(e.value);
    if (node.kind === 'seq') for (const item of node.items) total += this.size(item);
    this.#sizes.set(node, total);
    return total;
  }

  #scalar(node: Scalar): ScalarNode {
    const range = toRange(node.range);
    const raw = node.value;
    const value =
      raw === null || typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean'
        ? raw
        : String(raw);
    let valueOffset: number | undefined;
    if (typeof value === 'string') {
      const source = this.#diag.source.text.slice(range[0], range[1]);
      if (node.type === Scalar.PLAIN && source === value) valueOffset = range[0];
      else if (
        (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) &&
        source.slice(1, -1) === value
      ) {
        valueOffset = range[0] + 1;
      }
    }
    return { kind: 'scalar', value, range, valueOffset };
  }

  #seq(node: { items: unknown[]; range?: unknown }, path: readonly (string | number)[]): Node {
    return {
      kind: 'seq',
      items: node.items.map((item, i) => this.convert(item, [...path, i])),
      range: toRange(node.range),
    };
  }

  #map(
    node: { items: { key: unknown; value: unknown }[]; range?: unknown },
    path: readonly (string | number)[],
  ): Node {
    const explicit: Entry[] = [];
    const merged: Entry[] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const keyNode = isAlias(pair.key) ? pair.key.resolve(this.#doc) : pair.key;
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        this.#merge(pair.value, [...path, '<<'], merged);
        continue;
      }
      if (!isScalar(keyNode) || (keyNode.value !== null && typeof keyNode.value === 'object')) {
        const range = toRange((keyNode as { range?: unknown } | undefined)?.range);
        this.#diag.report({
          code: 'WRONG_TYPE',
          range,
          path,
          message: 'a key must be a plain name, not a list or mapping',
        });
        continue;
      }
      const key = String(keyNode.value);
      if (seen.has(key)) continue; // reported as DUPLICATE_KEY by the parser
      seen.add(key);
      const keyRange = toRange(keyNode.range);
      const converted = pair.value === null ? undefined : this.convert(pair.value, [...path, key]);
      // An empty value (`key:`) points at its key, which is what a reader looks for.
      const empty =
        converted === undefined ||
        (converted.kind === 'scalar' &&
          converted.value === null &&
          converted.range[0] === converted.range[1]);
      const value = empty ? emptyAt(keyRange) : converted;
      explicit.push({ key, keyRange, value });
    }
    const entries = [...explicit];
    for (const entry of merged) {
      if (seen.has(entry.key)) continue;
      seen.add(entry.key);
      entries.push(entry);
    }
    return { kind: 'map', entries, range: toRange(node.range) };
  }

  /** Collects the entries of a `<<` value (a mapping or a list of mappings, earlier ones win). */
  #merge(value: unknown, path: readonly (string | number)[], into: Entry[]): void {
    const source = this.convert(value, path);
    if (isAlias(value) && value.resolve(this.#doc) === undefined) return; // reported by convert
    const at = toRange((value as { range?: unknown } | null)?.range);
    const maps = source.kind === 'seq' ? source.items : [source];
    for (const map of maps) {
      if (map.kind !== 'map') {
        this.#diag.report({
          code: 'WRONG_TYPE',
          range: at,
          path,
          message:
            'a `<<` merge key takes a mapping or a list of mappings (usually an alias like `*defaults`)',
        });
        continue;
      }
      for (const entry of map.entries) if (!into.some((e) => e.key === entry.key)) into.push(entry);
    }
  }
}

function toRange(range: unknown): Range {
  if (Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number')
    return [range[0], range[1]];
  return [0, 0];
}

function emptyAt(range: Range): ScalarNode {
  return { kind: 'scalar', value: null, range, valueOffset: undefined };
}
