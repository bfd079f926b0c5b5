import type { Range } from '../errors/diagnostics.js';
import type { Entry, MapNode, Node, ScalarNode, SeqNode } from './tree.js';

/**
 * A fast reader for the YAML most configurations are written in: block mappings and sequences
 * (compact `- key: value` items included), plain and quoted one-line scalars, one-line flow
 * sequences of scalars, `{}`, comments and blank lines. It builds the same located tree, ranges
 * included, as the full parser (`parseYaml`), in a fraction of its time when the code is cold, as
 * it is in every CLI run: a 100-service file takes milliseconds instead of tens.
 *
 * Anything else — anchors and aliases, merge keys, tags, block scalars, multi-line or escaped
 * scalars, flow mappings, quoted keys, tabs, CRLF, duplicate keys, several documents, syntax
 * errors — makes it return undefined, and the caller uses the full parser, which also gives the
 * messages for the mistakes. The two are kept equal by a differential test.
 */
export function parseCommonYaml(text: string, maxNodes: number): MapNode | undefined {
  if (text.includes('\r') || text.includes('\t') || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    const reader = new BlockReader(text, maxNodes);
    return reader.document();
  } catch (e) {
    if (e === OUTSIDE) return undefined;
    throw e;
  }
}

/** Thrown to give up: the text is outside the subset (or wrong), the full parser takes over. */
const OUTSIDE = Symbol('outside the common subset');

function outside(): never {
  throw OUTSIDE;
}

/** Characters a plain scalar may not start with (YAML indicators). */
const INDICATOR = new Set('-?:,[]{}#&*!|>\'"%@`');

class BlockReader {
  readonly #text: string;
  readonly #maxNodes: number;
  #nodes = 0;
  /** Start offset of each line. */
  readonly #starts: number[] = [0];
  /** The current line. */
  #line = 0;

  constructor(text: string, maxNodes: number) {
    this.#text = text;
    this.#maxNodes = maxNodes;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.#starts.push(i + 1);
  }

  document(): MapNode {
    this.#skip();
    if (this.#eof()) outside();
    const first = this.#contentStart(this.#line);
    if (first !== this.#starts[this.#line] || this.#isSeqItem(first)) outside();
    if (this.#text.startsWith('---', first) || this.#text.startsWith('...', first)) outside();
    const root = this.#map(0, first);
    this.#skip();
    if (!this.#eof()) outside();
    return root;
  }

  #count(): void {
    if (++this.#nodes > this.#maxNodes) outside();
  }

  #eof(): boolean {
    return this.#line >= this.#starts.length || this.#starts[this.#line] === this.#text.length;
  }

  /** Offset just past the line's end (its newline included), or the end of the text. */
  #lineEnd(line: number): number {
    return this.#starts[line + 1] ?? this.#text.length;
  }

  /** Offset of the line's first character that is not a space. */
  #contentStart(line: number): number {
    const end = this.#lineEnd(line);
    let i = this.#starts[line] ?? this.#text.length;
    while (i < end && this.#text.charCodeAt(i) === 32) i++;
    return i;
  }

  #indent(line: number): number {
    return this.#contentStart(line) - (this.#starts[line] ?? 0);
  }

  /** Moves past blank and comment-only lines. */
  #skip(): void {
    while (this.#line < this.#starts.length) {
      const c = this.#text[this.#contentStart(this.#line)];
      if (c === undefined || c === '\n' || c === '#') this.#line++;
      else return;
    }
  }

  #isSeqItem(at: number): boolean {
    const next = this.#text[at + 1];
    return this.#text[at] === '-' && (next === ' ' || next === '\n' || next === undefined);
  }

  /** A block mapping whose keys sit at column `indent`; its first key starts at `first`. */
  #map(indent: number, first: number): MapNode {
    this.#count();
    const entries: Entry[] = [];
    const seen = new Set<string>();
    let at = first;
    let end = first;
    for (;;) {
      const line = this.#line;
      const colon = this.#keyEnd(at, line);
      const keyRange: Range = [at, colon];
      const key = String(plainValue(this.#text.slice(at, colon)));
      if (key === '<<' || seen.has(key)) outside();
      seen.add(key);
      let value: Node;
      const after = this.#skipSpaces(colon + 1, line);
      if (this.#restIsEmpty(after)) {
        this.#line = line + 1;
        this.#skip();
        const nested = this.#eof() ? undefined : this.#contentStart(this.#line);
        const nestedIndent = this.#eof() ? -1 : this.#indent(this.#line);
        if (nested !== undefined && nestedIndent > indent) {
          value = this.#block(nestedIndent, nested);
          end = value.range[1];
        } else if (nested !== undefined && nestedIndent === indent && this.#isSeqItem(nested)) {
          value = this.#seq(indent, nested);
          end = value.range[1];
        } else {
          // `key:` and nothing: the converter points an empty value at its key. Where the full
          // parser ends it after a comment depends on the lines that follow.
          if (this.#text[after] === '#') outside();
          this.#count();
          value = { kind: 'scalar', value: null, range: keyRange, valueOffset: undefined };
          const eol = this.#text.indexOf('\n', colon);
          end = eol < 0 ? this.#text.length : eol;
        }
      } else {
        value = this.#inline(after, line);
        end = this.#lineEnd(line);
        this.#line = line + 1;
      }
      entries.push({ key, keyRange, value });
      if (!this.#nextAt(indent)) break;
      at = this.#contentStart(this.#line);
    }
    return { kind: 'map', entries, range: [first, end] };
  }

  /**
   * After an entry or item: skips to the next line with content and says whether it continues
   * the collection at `indent` (false: it ended). Deeper content here is outside the subset.
   */
  #nextAt(indent: number): boolean {
    this.#skip();
    if (this.#eof()) return false;
    const i = this.#indent(this.#line);
    if (i > indent) outside();
    return i === indent;
  }

  /** A block sequence whose `-` sit at column `indent`; the first is at `first`. */
  #seq(indent: number, first: number): SeqNode {
    this.#count();
    const items: Node[] = [];
    let end = first;
    let at = first;
    for (;;) {
      const line = this.#line;
      const after = this.#skipSpaces(at + 1, line);
      let item: Node;
      if (this.#restIsEmpty(after)) {
        this.#line = line + 1;
        this.#skip();
        if (this.#eof() || this.#indent(this.#line) <= indent) outside(); // an empty item
        item = this.#block(this.#indent(this.#line), this.#contentStart(this.#line));
        end = item.range[1];
      } else if (this.#isSeqItem(after)) {
        outside(); // `- - x`
      } else if (this.#keyColon(after, line) !== undefined) {
        // `- key: value`, and the mapping's other keys below at the column of this one
        item = this.#map(after - (this.#starts[line] ?? 0), after);
        end = item.range[1];
      } else {
        item = this.#inline(after, line);
        end = this.#lineEnd(line);
        this.#line = line + 1;
      }
      items.push(item);
      if (!this.#nextAt(indent)) break;
      at = this.#contentStart(this.#line);
      // `key:` then `- items` at the key's own column: the next key ends the list.
      if (!this.#isSeqItem(at)) break;
    }
    return { kind: 'seq', items, range: [first, end] };
  }

  #block(indent: number, first: number): Node {
    return this.#isSeqItem(first) ? this.#seq(indent, first) : this.#map(indent, first);
  }

  #skipSpaces(i: number, line: number): number {
    const end = this.#lineEnd(line);
    while (i < end && this.#text.charCodeAt(i) === 32) i++;
    return i;
  }

  /** Nothing but an end of line or a comment from `i` on (after spaces). */
  #restIsEmpty(i: number): boolean {
    const c = this.#text[i];
    if (c === undefined || c === '\n') return true;
    // A comment needs a space before it; `i` is past at least one, or at the start of a value.
    return c === '#' && this.#text[i - 1] === ' ';
  }

  /**
   * Offset of the `:` that ends a plain key starting at `at` on its line (a `:` followed by a
   * space or the end of the line, before any comment); undefined when the line holds no key.
   */
  #keyColon(at: number, line: number): number | undefined {
    if (INDICATOR.has(this.#text[at] ?? '')) return undefined;
    const end = this.#lineEnd(line);
    for (let i = at; i < end; i++) {
      const ch = this.#text[i];
      if (ch === '#' && this.#text[i - 1] === ' ') return undefined;
      if (ch === ':') {
        const next = this.#text[i + 1];
        if (next === ' ' || next === '\n' || next === undefined) return i;
      }
    }
    return undefined;
  }

  /** The `:` that ends the key starting at `at`; a line without one (or `key :`) is outside. */
  #keyEnd(at: number, line: number): number {
    const colon = this.#keyColon(at, line) ?? outside();
    if (this.#text[colon - 1] === ' ') outside();
    return colon;
  }

  /** A value on the rest of the line: a scalar, a flow sequence of scalars, or `{}`. */
  #inline(at: number, line: number): Node {
    const text = this.#text;
    const end = this.#lineEnd(line);
    const c = text[at];
    let node: Node;
    let stop: number;
    if (c === '[' || c === '{') {
      [node, stop] = this.#flow(at, end);
    } else if (c === '"' || c === "'") {
      [node, stop] = this.#quoted(at, end);
    } else {
      if (c === undefined || !plainStart(text, at, false)) outside();
      stop = at;
      while (stop < end) {
        const ch = text[stop];
        if (ch === '\n' || (ch === '#' && text[stop - 1] === ' ')) break;
        if (ch === ':' && (text[stop + 1] === ' ' || text[stop + 1] === '\n' || stop + 1 === text.length))
          outside(); // `a: b: c`
        stop++;
      }
      while (text[stop - 1] === ' ') stop--;
      node = this.#plain(at, stop);
    }
    const rest = this.#skipSpaces(stop, line);
    if (!this.#restIsEmpty(rest) || (rest === stop && text[rest] === '#')) outside();
    return node;
  }

  #plain(from: number, to: number): ScalarNode {
    this.#count();
    const source = this.#text.slice(from, to);
    const value = plainValue(source);
    return {
      kind: 'scalar',
      value,
      range: [from, to],
      valueOffset: typeof value === 'string' ? from : undefined,
    };
  }

  /** A one-line quoted scalar; `\\`-escapes only those JSON has. Returns it and where it ends. */
  #quoted(at: number, end: number): [ScalarNode, number] {
    const text = this.#text;
    const q = text[at];
    let i = at + 1;
    let value = '';
    if (q === "'") {
      for (;;) {
        const close = text.indexOf("'", i);
        if (close < 0 || close >= end) outside();
        value += text.slice(i, close);
        if (text[close + 1] === "'") {
          value += "'";
          i = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
    } else {
      let escaped = false;
      for (; i < end; i++) {
        const ch = text[i];
        if (ch === '\n') outside();
        if (ch === '\\') {
          const next = text[i + 1] ?? '';
          if (!'"\\/bfnrtu'.includes(next) || next === '') outside();
          escaped = true;
          i++;
          continue;
        }
        if (ch === '"') break;
      }
      if (text[i] !== '"') outside();
      const raw = text.slice(at, i + 1);
      value = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      i++;
    }
    this.#count();
    const range: Range = [at, i];
    const valueOffset = text.slice(at + 1, i - 1) === value ? at + 1 : undefined;
    return [{ kind: 'scalar', value, range, valueOffset }, i];
  }

  /**
   * A flow collection on one line — `[a, "b", 3]`, `{ image: redis:7, ports: ["6379:6379"] }` —
   * of scalars and flow collections. Returns it and where it ends.
   */
  #flow(at: number, end: number): [Node, number] {
    this.#count();
    const text = this.#text;
    const isMap = text[at] === '{';
    const close = isMap ? '}' : ']';
    const items: Node[] = [];
    const entries: Entry[] = [];
    const seen = new Set<string>();
    let i = at + 1;
    const spaces = (): void => {
      while (text[i] === ' ') i++;
    };
    spaces();
    if (text[i] === close) return [this.#flowNode(isMap, items, entries, at, i + 1), i + 1];
    for (;;) {
      spaces();
      if (isMap) {
        const from = i;
        if (!plainStart(text, i, true)) outside();
        while (i < end && !',[]{}#\n'.includes(text[i] ?? '') && text[i] !== ':') i++;
        let to = i;
        while (text[to - 1] === ' ') to--;
        if (text[i] !== ':' || to === from || to !== i) outside();
        const next = text[i + 1];
        if (next !== ' ') outside();
        const keyRange: Range = [from, to];
        const key = String(plainValue(text.slice(from, to)));
        if (key === '<<' || seen.has(key)) outside();
        seen.add(key);
        i += 1;
        spaces();
        let value: Node;
        if (text[i] === ',' || text[i] === '}') {
          this.#count();
          value = { kind: 'scalar', value: null, range: keyRange, valueOffset: undefined };
        } else {
          [value, i] = this.#flowValue(i, end);
        }
        entries.push({ key, keyRange, value });
      } else {
        let item: Node;
        [item, i] = this.#flowValue(i, end);
        items.push(item);
      }
      spaces();
      if (text[i] === ',') {
        i++;
        spaces();
        if (text[i] === close) outside(); // a trailing comma
        continue;
      }
      if (text[i] === close) return [this.#flowNode(isMap, items, entries, at, i + 1), i + 1];
      return outside();
    }
  }

  #flowNode(isMap: boolean, items: Node[], entries: Entry[], from: number, to: number): Node {
    return isMap ? { kind: 'map', entries, range: [from, to] } : { kind: 'seq', items, range: [from, to] };
  }

  /** A value inside a flow collection: a quoted or plain scalar, or a flow collection. */
  #flowValue(i: number, end: number): [Node, number] {
    const text = this.#text;
    const c = text[i];
    if (c === '[' || c === '{') return this.#flow(i, end);
    if (c === '"' || c === "'") return this.#quoted(i, end);
    if (c === undefined || !plainStart(text, i, true)) outside();
    const from = i;
    while (i < end && !',[]{}#\n'.includes(text[i] ?? '')) {
      if (text[i] === ':' && ' ,]}'.includes(text[i + 1] ?? ' ')) outside();
      i++;
    }
    if (text[i] === '#') outside();
    let to = i;
    while (text[to - 1] === ' ') to--;
    if (to === from) outside();
    return [this.#plain(from, to), i];
  }
}

/**
 * Whether a plain scalar may start at `i`: not with an indicator, except `-` followed by a
 * character that could go on the scalar (`-c`, `-5`, `--flag`).
 */
function plainStart(text: string, i: number, flow: boolean): boolean {
  const c = text[i] ?? '';
  if (!INDICATOR.has(c)) return true;
  const next = text[i + 1] ?? ' ';
  return c === '-' && next !== ' ' && next !== '\n' && !(flow && ',[]{}'.includes(next));
}

/** The value of a plain scalar under YAML 1.2's core schema, as the full parser resolves it. */
function plainValue(s: string): string | number | boolean | null {
  if (/^(?:~|[Nn]ull|NULL)?$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s)) return s[0] === 't' || s[0] === 'T';
  if (/^0o[0-7]+$/.test(s)) return Number.parseInt(s.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return Number.parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) outside();
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return Number.parseFloat(s);
  return s;
}
