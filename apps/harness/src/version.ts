import { readFileSync } from 'node:fs';

/**
 * The CLI's version, from its package.json. Every module of the CLI is built (or bundled) into
 * `dist/`, so the file is one folder up from here, wherever this code ends up.
 */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
