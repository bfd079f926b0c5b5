/**
 * The interpolation syntax: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
 * `${VAR?message}`, `$$` for a literal `$`, and service references `${services.NAME.host}`,
 * `${services.NAME.port}`, `${services.NAME.ports.P}`. A `$` followed by anything else is kept as is
 * (so `$HOME` reaches a shell untouched). Defaults and messages may themselves hold `${…}`.
 */

/** The modifiers of a variable: use a default when unset (`-`) or unset-or-empty (`:-`); require. */
export type Modifier = ':-' | '-' | ':?' | '?';

/** One piece of a parsed string; offsets are relative to the string. */
export type Piece =
  | { readonly kind: 'literal'; readonly text: string }
  | {
      readonly kind: 'variable';
      readonly name: string;
      readonly modifier: Modifier | undefined;
      readonly argument: readonly Piece[];
      readonly start: number;
      readonly end: number;
    }
  | {
      readonly kind: 'reference';
      readonly service: string;
      /** `host`, `port` (the first port) or the name of a port for `ports.P`. */
      readonly property: 'host' | 'port';
      /** The port name for `ports.P`; undefined for `host` and `port`. */
      readonly port: string | undefined;
      readonly expression: string;
      readonly start: number;
      readonly end: number;
    };

/** A syntax problem at an offset of the string. */
export interface SyntaxProblem {
  readonly start: number;
  readonly end: number;
  readonly message: string;
  readonly hint?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE =
  /^services\.([A-Za-z0-9][A-Za-z0-9_-]*)\.(?:(host)|(port)|ports\.([A-Za-z][A-Za-z0-9_-]*))$/;
const REFERENCE_HINT =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the interpolation syntax, written literally
  'write `${services.NAME.host}`, `${services.NAME.port}` or `${services.NAME.ports.PORT}`';

/**
 * Parses a string into literal pieces, variables and references, reporting every syntax problem.
 *
 * @example
 * parseInterpolation('${HOST:-localhost}:$$PORT').pieces;
 * // [{ kind: 'variable', name: 'HOST', modifier: ':-', … }, { kind: 'literal', text: ':$PORT' }]
 */
export function parseInterpolation(text: string): { pieces: Piece[]; problems: SyntaxProblem[] } {
  const problems: SyntaxProblem[] = [];
  const { pieces } = parsePieces(text, 0, false, problems);
  return { pieces, problems };
}

/**
 * True when a string holds anything interpolation would change (`${` or `$$`).
 *
 * @example
 * needsInterpolation('echo $HOME'); // false
 */
export function needsInterpolation(text: string): boolean {
  return text.includes('${') || text.includes('$$');
}

function parsePieces(
  text: string,
  from: number,
  inArgument: boolean,
  problems: SyntaxProblem[],
): { pieces: Piece[]; end: number } {
  const pieces: Piece[] = [];
  let literal = '';
  let i = from;
  const flush = (): void => {
    if (literal !== '') pieces.push({ kind: 'literal', text: literal });
    literal = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (inArgument && c === '}') {
      flush();
      return { pieces, end: i };
    }
    if (c === '$' && text[i + 1] === '$') {
      literal += '$';
      i += 2;
    } else if (c === '$' && text[i + 1] === '{') {
      flush();
      const parsed = parseBraced(text, i, problems);
      if (parsed.piece) pieces.push(parsed.piece);
      i = parsed.end;
    } else {
      literal += c;
      i += 1;
    }
  }
  flush();
  return { pieces, end: i };
}

function parseBraced(
  text: string,
  start: number,
  problems: SyntaxProblem[],
): { piece: Piece | undefined; end: number } {
  let i = start + 2;
  while (i < text.length && /[A-Za-z0-9_]/.test(text[i] ?? '')) i++;
  if (text.slice(start + 2, i) === 'services' && text[i] === '.') {
    while (i < text.length && /[A-Za-z0-9_.-]/.test(text[i] ?? '')) i++;
  }
  const name = text.slice(start + 2, i);
  let modifier: Modifier | undefined;
  let argument: Piece[] = [];
  if (text.startsWith(':-', i) || text.startsWith(':?', i)) modifier = text.slice(i, i + 2) as Modifier;
  else if (text[i] === '-' || text[i] === '?') modifier = text[i] as Modifier;
  else if (text[i] === ':' || (i < text.length && text[i] !== '}')) {
    const close = text.indexOf('}', i);
    const bad = text.slice(i, close < 0 ? text.length : close);
    problems.push({
      start,
      end: close < 0 ? text.length : close + 1,
      message: `invalid interpolation \`\${${name}${bad}}\``,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the interpolation syntax, written literally
      hint: 'write `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}` or `${NAME?message}`',
    });
    return { piece: undefined, end: close < 0 ? text.length : close + 1 };
  }
  if (modifier !== undefined) {
    const parsed = parsePieces(text, i + modifier.length, true, problems);
    argument = parsed.pieces;
    i = parsed.end;
  }
  if (text[i] !== '}') {
    problems.push({
      start,
      end: text.length,
      message: `unclosed \`\${\` in ${JSON.stringify(text.slice(start, start + 30))}`,
      hint: 'close it with `}`, or write `$${` for a literal `${`',
    });
    return { piece: undefined, end: text.length };
  }
  const end = i + 1;
  if (name.startsWith('services.') || name === 'services') {
    const m = REFERENCE.exec(name);
    if (!m || modifier !== undefined) {
      const message = m
        ? `a service reference takes no default or message: \`\${${text.slice(start + 2, end - 1)}}\``
        : `invalid service reference \`\${${name}}\``;
      problems.push({ start, end, message, hint: REFERENCE_HINT });
      return { piece: undefined, end };
    }
    const [, service = '', host, , port] = m;
    return {
      piece: {
        kind: 'reference',
        service,
        property: host ? 'host' : 'port',
        port,
        expression: name,
        start,
        end,
      },
      end,
    };
  }
  if (!NAME.test(name)) {
    const message =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the interpolation syntax, written literally
      name === '' ? 'empty variable name in `${}`' : `invalid variable name \`${name}\` in \`\${…}\``;
    problems.push({
      start,
      end,
      message,
      hint: 'a variable name is letters, digits and `_`, not starting with a digit',
    });
    return { piece: undefined, end };
  }
  return { piece: { kind: 'variable', name, modifier, argument, start, end }, end };
}
