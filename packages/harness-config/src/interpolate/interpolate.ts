import type { Diagnostics, Range } from '../errors/diagnostics.js';
import { entryOf, type MapNode, type Node, type ScalarNode } from '../parse/tree.js';
import type { ServiceRef, TextPart } from '../resolve/text.js';
import { type ReadFile, readEnvFile } from './read-env-file.js';
import { needsInterpolation, type Piece, parseInterpolation } from './syntax.js';

/** Where variables come from. */
export interface InterpolateOptions {
  /** The process environment (highest precedence). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The folder relative `env_file` paths are read from (the configuration file's folder). */
  readonly baseDir: string;
  /** Reads a file as UTF-8 (default `fs.readFileSync`); throws when it cannot. */
  readonly readFile?: ReadFile;
}

/** The outcome of interpolation. */
export interface Interpolated {
  /** The tree with every string substituted; strings with service references carry a `template`. */
  readonly root: MapNode;
  /** The top-level `env` with each variable's effective value (after precedence). */
  readonly stackEnv: ReadonlyMap<string, string>;
  /** Where each service reference was written, for later checks. */
  readonly refSites: ReadonlyMap<ServiceRef, RefSite>;
}

type Path = readonly (string | number)[];

/** Where a service reference is written. */
export interface RefSite {
  readonly range: Range;
  readonly path: Path;
}
type Lookup = (name: string) => string | undefined;

/**
 * Substitutes variables in every string of the tree (keys and top-level `x-*` entries excepted).
 * Variables come, from highest precedence to lowest, from the process environment, the top-level
 * `env_file`s (a later file wins), and the top-level `env` (whose values may use the variables
 * above and earlier `env` entries). Service references are kept as typed parts.
 *
 * @example
 * const { root } = interpolate(parsedRoot, diag, { env: { PORT: '8080' }, baseDir: '/srv/shop' });
 */
export function interpolate(root: MapNode, diag: Diagnostics, options: InterpolateOptions): Interpolated {
  const run = new Interpolation(root, diag, options);
  return run.result();
}

class Interpolation {
  readonly #diag: Diagnostics;
  readonly #options: InterpolateOptions;
  readonly #root: MapNode;
  readonly #memo = new Map<Node, Node>();
  readonly #refSites = new Map<ServiceRef, RefSite>();
  readonly #fileVars = new Map<string, string>();
  readonly #stackEnv = new Map<string, string>();

  constructor(root: MapNode, diag: Diagnostics, options: InterpolateOptions) {
    this.#root = root;
    this.#diag = diag;
    this.#options = options;
  }

  result(): Interpolated {
    const processEnv: Lookup = (name) => this.#options.env[name];
    this.#readEnvFiles(processEnv);
    const declared = new Map<string, string>();
    const fromFiles: Lookup = (name) => processEnv(name) ?? this.#fileVars.get(name) ?? declared.get(name);
    const envEntry = entryOf(this.#root, 'env');
    if (envEntry?.value.kind === 'map') {
      for (const { key, value } of envEntry.value.entries) {
        if (value.kind !== 'scalar') continue;
        const own =
          typeof value.value === 'string'
            ? this.#flat(value, ['env', key], fromFiles)
            : String(value.value ?? '');
        const effective = processEnv(key) ?? this.#fileVars.get(key) ?? own;
        declared.set(key, effective);
        this.#stackEnv.set(key, effective);
      }
    }
    const root = this.#walk(this.#root, [], fromFiles) as MapNode;
    return { root, stackEnv: this.#stackEnv, refSites: this.#refSites };
  }

  #readEnvFiles(lookup: Lookup): void {
    const entry = entryOf(this.#root, 'env_file');
    if (!entry) return;
    const list = entry.value.kind === 'seq' ? entry.value.items : [entry.value];
    list.forEach((node, i) => {
      if (node.kind !== 'scalar' || typeof node.value !== 'string') return; // the schema reports it
      const path: Path = entry.value.kind === 'seq' ? ['env_file', i] : ['env_file'];
      const name = this.#flat(node, path, lookup);
      const values = readEnvFile(
        name,
        node.range,
        path,
        this.#diag,
        this.#options.baseDir,
        this.#options.readFile,
      );
      for (const [key, value] of values ?? []) this.#fileVars.set(key, value);
    });
  }

  /** Interpolates one string scalar to plain text (references written back as `${…}`). */
  #flat(node: ScalarNode, path: Path, lookup: Lookup): string {
    return this.#parts(node, path, lookup)
      .map((p) => (typeof p === 'string' ? p : `\${${p.expression}}`))
      .join('');
  }

  #walk(node: Node, path: Path, lookup: Lookup): Node {
    const known = this.#memo.get(node);
    if (known) return known;
    let out: Node = node;
    if (node.kind === 'map') {
      const entries = node.entries.map((e) =>
        path.length === 0 && e.key.startsWith('x-')
          ? e
          : { ...e, value: this.#walk(e.value, [...path, e.key], lookup) },
      );
      out = { ...node, entries };
    } else if (node.kind === 'seq') {
      out = { ...node, items: node.items.map((item, i) => this.#walk(item, [...path, i], lookup)) };
    } else if (typeof node.value === 'string' && needsInterpolation(node.value)) {
      const before = this.#diag.errorCount;
      const parts = this.#parts(node, path, lookup);
      const failed = this.#diag.errorCount > before;
      const value = parts.map((p) => (typeof p === 'string' ? p : `\${${p.expression}}`)).join('');
      const hasRefs = parts.some((p) => typeof p !== 'string');
      out = {
        kind: 'scalar',
        value,
        range: node.range,
        valueOffset: undefined,
        interpolated: node.value.includes('${'),
        ...(failed ? { failed } : {}),
        ...(hasRefs ? { template: parts } : {}),
      };
    }
    this.#memo.set(node, out);
    return out;
  }

  #parts(node: ScalarNode, path: Path, lookup: Lookup): TextPart[] {
    const text = typeof node.value === 'string' ? node.value : '';
    const at = (start: number, end: number): Range =>
      node.valueOffset === undefined ? node.range : [node.valueOffset + start, node.valueOffset + end];
    const { pieces, problems } = parseInterpolation(text);
    for (const p of problems) {
      this.#diag.report({
        code: 'INTERPOLATION_SYNTAX',
        range: at(p.start, p.end),
        path,
        message: p.message,
        hint: p.hint,
      });
    }
    return this.#evaluate(pieces, path, lookup, at);
  }

  #evaluate(
    pieces: readonly Piece[],
    path: Path,
    lookup: Lookup,
    at: (s: number, e: number) => Range,
  ): TextPart[] {
    const out: TextPart[] = [];
    for (const piece of pieces) {
      if (piece.kind === 'literal') out.push(piece.text);
      else if (piece.kind === 'reference')
        out.push(this.#reference(piece, { range: at(piece.start, piece.end), path }));
      else {
        const value = lookup(piece.name);
        const unset = value === undefined || (value === '' && piece.modifier?.startsWith(':') === true);
        if (!unset) out.push(value);
        else if (piece.modifier === ':-' || piece.modifier === '-') {
          out.push(...this.#evaluate(piece.argument, path, lookup, at));
        } else if (piece.modifier === ':?' || piece.modifier === '?') {
          const why = this.#evaluate(piece.argument, path, lookup, at).join('');
          this.#diag.report({
            code: 'MISSING_VARIABLE',
            range: at(piece.start, piece.end),
            path,
            message: `required variable \`${piece.name}\` is ${value === '' ? 'empty' : 'not set'}${why ? `: ${why}` : ''}`,
            hint: `set \`${piece.name}\` in the environment, in an \`env_file\`, or under the top-level \`env\``,
          });
        } else if (value === undefined) {
          this.#diag.report({
            code: 'UNSET_VARIABLE',
            severity: 'warning',
            range: at(piece.start, piece.end),
            path,
            message: `variable \`${piece.name}\` is not set; using an empty string`,
            hint: `give it a default with \`\${${piece.name}:-value}\`, or require it with \`\${${piece.name}:?why}\``,
          });
        }
      }
    }
    return out;
  }

  #reference(piece: Extract<Piece, { kind: 'reference' }>, site: RefSite): ServiceRef {
    let ref: ServiceRef;
    if (piece.property === 'host') {
      ref = { type: 'service-ref', property: 'host', service: piece.service, expression: piece.expression };
    } else {
      const port = piece.port ?? this.#firstPort(piece.service) ?? '';
      ref = {
        type: 'service-ref',
        property: 'port',
        service: piece.service,
        port,
        expression: piece.expression,
      };
    }
    this.#refSites.set(ref, site);
    return ref;
  }

  #firstPort(service: string): string | undefined {
    const ports = entryOf(entryOf(entryOf(this.#root, 'services')?.value, service)?.value, 'ports');
    return ports?.value.kind === 'map' ? ports.value.entries[0]?.key : undefined;
  }
}
