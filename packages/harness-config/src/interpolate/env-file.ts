/** One problem in an env file, at a 1-based line. */
export interface EnvFileProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * Parses the text of an env file: `KEY=value` lines, optional `export ` prefix, `#` comments and
 * blank lines. Values may be single-quoted (taken literally), double-quoted (`\n`, `\t`, `\"`, `\\`
 * escapes) or bare (trimmed; a ` #` starts a comment). Values are not interpolated.
 *
 * @example
 * parseEnvFile('# db\nexport PGPORT=5432\nGREETING="hi there"\n').values;
 * // Map { 'PGPORT' => '5432', 'GREETING' => 'hi there' }
 */
export function parseEnvFile(text: string): { values: Map<string, string>; problems: EnvFileProblem[] } {
  const values = new Map<string, string>();
  const problems: EnvFileProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, '');
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const indent = line.length - trimmed.length;
    const body = trimmed.startsWith('export ') ? trimmed.slice(7).trimStart() : trimmed;
    const offset = indent + (trimmed.length - body.length);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(body);
    if (!m) {
      problems.push({
        line: index + 1,
        column: offset + 1,
        message: `expected \`NAME=value\`, found ${JSON.stringify(body.length > 40 ? `${body.slice(0, 37)}...` : body)}`,
      });
      return;
    }
    const name = m[1] ?? '';
    const rest = body.slice(m[0].length).trimStart();
    const value = parseValue(rest);
    if (value === undefined) {
      problems.push({
        line: index + 1,
        column: offset + m[0].length + 1,
        message: `unterminated quote in the value of \`${name}\``,
      });
      return;
    }
    values.set(name, value);
  });
  return { values, problems };
}

function parseValue(rest: string): string | undefined {
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    return end < 0 ? undefined : rest.slice(1, end);
  }
  if (rest.startsWith('"')) {
    let out = '';
    for (let i = 1; i < rest.length; i++) {
      const c = rest[i];
      if (c === '"') return out;
      if (c === '\\' && i + 1 < rest.length) {
        const n = rest[++i];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : (n ?? '');
      } else out += c;
    }
    return undefined;
  }
  const comment = rest.search(/\s#/);
  return (comment < 0 ? rest : rest.slice(0, comment)).trim();
}
