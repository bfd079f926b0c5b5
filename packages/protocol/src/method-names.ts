import { REQUEST_METHODS, SUBSCRIPTION_METHODS } from './methods.js';

/** Every method name of the protocol, including `hello` and `cancel`. */
export const ALL_METHODS: readonly string[] = [
  'hello',
  'cancel',
  ...REQUEST_METHODS,
  ...SUBSCRIPTION_METHODS,
];

/**
 * The known method closest to a misspelt one, when close enough to be a likely typo.
 *
 * @example
 * suggestMethod('stak.up'); // 'stack.up'
 */
export function suggestMethod(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  for (const candidate of ALL_METHODS) {
    const d = candidate === lower ? 0 : distance(lower, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance, bounded in cost by the short method names it compares against. */
function distance(a: string, b: string): number {
  if (a.length > 64) return Number.POSITIVE_INFINITY;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? Number.POSITIVE_INFINITY;
}
