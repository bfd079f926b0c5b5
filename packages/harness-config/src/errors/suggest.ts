/**
 * The Damerau–Levenshtein (optimal string alignment) distance between two strings.
 *
 * @example
 * editDistance('restrat', 'restart'); // 1
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(a.length, b.length);
}

/**
 * The closest candidate to a misspelt name, if one is close enough to be a likely typo
 * (distance at most a third of the name's length, and at least 1; case differences count as 0).
 *
 * @example
 * closest('depend_on', ['depends_on', 'disabled']); // 'depends_on'
 * closest('zzz', ['depends_on']); // undefined
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.floor(name.length / 3));
  return bestDistance <= limit && bestDistance < name.length ? best : undefined;
}

/**
 * A hint suggesting the closest candidate, or listing the valid ones when there are few.
 *
 * @example
 * didYouMean('alwyas', ['always', 'on-failure', 'never']); // 'did you mean `always`?'
 */
export function didYouMean(name: string, candidates: readonly string[], listUpTo = 0): string | undefined {
  const best = closest(name, candidates);
  if (best !== undefined) return `did you mean \`${best}\`?`;
  if (candidates.length > 0 && candidates.length <= listUpTo) {
    return `expected one of ${candidates.map((c) => `\`${c}\``).join(', ')}`;
  }
  return undefined;
}
