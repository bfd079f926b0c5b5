import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { daemonPaths } from '@harness/protocol';
import { ControllerError } from './errors.js';

/** Creates a folder (and its parents) and sets it to 0700. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (cause) {
    throw new ControllerError('HOME_UNUSABLE', `cannot use ${dir} as a private folder: ${String(cause)}`, {
      cause,
    });
  }
}

/** Writes a file with mode 0600 atomically (a temporary file renamed over it). */
export function writePrivateFile(path: string, contents: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The daemon's client token: 32 random bytes as 64 hex characters in `home/token` (0600),
 * created on first use and read back after. A token file that is not 64 hex characters is an
 * error (never silently replaced: clients hold it).
 *
 * @example
 * const token = ensureToken(defaultHome());
 */
export function ensureToken(home: string): string {
  const paths = daemonPaths(home);
  ensurePrivateDir(dirname(paths.token));
  const existing = readIfExists(paths.token);
  if (existing !== undefined) {
    const token = existing.trim();
    if (!/^[0-9a-f]{64}$/.test(token)) {
      throw new ControllerError(
        'TOKEN_CORRUPT',
        `${paths.token} does not hold a token (64 hex characters); remove it to make a new one`,
      );
    }
    chmodSync(paths.token, 0o600);
    return token;
  }
  const token = randomBytes(32).toString('hex');
  writePrivateFile(paths.token, `${token}\n`);
  return token;
}
