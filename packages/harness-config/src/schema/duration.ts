const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration (`250ms`, `5s`, `1.5s`, `1m30s`, `2h`) into whole milliseconds, or undefined
 * when the text is not a duration. Units may repeat in any order; they are added up.
 *
 * @example
 * parseDuration('1m30s'); // 90000
 * parseDuration('5'); // undefined
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < s.length) {
    part.lastIndex = at;
    const m = part.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    at = part.lastIndex;
  }
  return Math.round(total);
}

/**
 * Writes milliseconds as the shortest duration text.
 *
 * @example
 * formatDuration(90000); // '1m30s'
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return rest > 0 ? `${out}${rest}ms` : out;
}
