import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The file names looked for, in order. */
export const CONFIG_FILE_NAMES = ['harness.yaml', 'harness.yml'] as const;

/**
 * Finds the configuration file in `start` or the nearest parent folder, or undefined.
 *
 * @example
 * findConfigFile(process.cwd()); // '/srv/shop/harness.yaml'
 */
export function findConfigFile(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
