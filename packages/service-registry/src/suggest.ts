/** Edit distance between two strings (Levenshtein), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The candidates close to `name` (edit distance at most a third of its length, at least 1, or a
 * shared prefix), closest first.
 *
 * @example
 * suggest('htp', ['http', 'grpc']); // ['http']
 */
export function suggest(name: string, candidates: Iterable<string>): string[] {
  const limit = Math.max(1, Math.floor(name.length / 3));
  const scored: Array<[string, number]> = [];
  for (const c of new Set(candidates)) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    const prefix = c.length > 0 && name.length > 0 && (c.startsWith(name) || name.startsWith(c));
    if (d <= limit || prefix) scored.push([c, d]);
  }
  return scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0])).map(([c]) => c);
}

/**
 * A sentence suffix for an error message: ` Did you mean "x"?` or the empty string.
 *
 * @example
 * `no endpoint "htp"` + didYouMean(['http']); // 'no endpoint "htp" Did you mean "http"?'
 */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  return ` Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?`;
}
