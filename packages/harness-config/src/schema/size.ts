/**
 * Bytes per unit of a size. `KiB`, `MiB`, `GiB` are powers of 1024; `kB`, `MB`, `GB` powers of
 * 1000; `B` is one byte. Units are case-sensitive: `mb` or `Mb` (megabits) are not sizes.
 */
export const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** The text of a size, as a regular expression (also the JSON Schema pattern). */
export const SIZE_PATTERN = '^(\\d+B?|\\d+(\\.\\d+)?(kB|MB|GB|KiB|MiB|GiB))$';
const SIZE_REGEX = new RegExp(SIZE_PATTERN);

/**
 * Parses a size (`512KiB`, `10MiB`, `1GiB`, `100kB`, `5MB`, `64B`, or a bare count of bytes
 * `1024`) into whole bytes (a fraction of a larger unit, `1.5MiB`, is rounded to the nearest byte), or
 * undefined when the text is not a size or is larger than a safe integer.
 *
 * @example
 * parseSize('10MiB'); // 10485760
 * parseSize('100kB'); // 100000
 * parseSize('10 mb'); // undefined
 */
export function parseSize(text: string): number | undefined {
  if (!SIZE_REGEX.test(text)) return undefined;
  // A count of bytes, bare or in `B`, is whole (the pattern says so); larger units take fractions.
  const unit = /[A-Za-z]+$/.exec(text)?.[0] ?? '';
  const amount = Number(text.slice(0, text.length - unit.length));
  const bytes = Math.round(amount * (SIZE_UNITS[unit || 'B'] ?? 1));
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Writes bytes as the shortest exact size text, preferring the 1024-based units: `10MiB`,
 * `100kB`, `1500B`… and `0` for zero.
 *
 * @example
 * formatSize(10 * 1024 * 1024); // '10MiB'
 * formatSize(5_000_000); // '5MB'
 */
export function formatSize(bytes: number): string {
  if (bytes === 0) return '0';
  for (const unit of ['GiB', 'GB', 'MiB', 'MB', 'KiB', 'kB'] as const) {
    const size = SIZE_UNITS[unit] ?? 1;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
