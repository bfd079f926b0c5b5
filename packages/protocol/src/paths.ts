import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where the daemon keeps its files under its home folder; shared by the daemon and the CLI. */
export interface DaemonPaths {
  /** The home folder itself (0700). */
  readonly home: string;
  /** The client token, 64 hex characters (0600). */
  readonly token: string;
  /** The daemon's TLS private key, PEM (0600). */
  readonly tlsKey: string;
  /** The daemon's self-signed TLS certificate, PEM (0600). */
  readonly tlsCert: string;
  /** The local Unix socket (0600). Keep `home` short: socket paths are limited to ~107 bytes. */
  readonly socket: string;
  readonly pidFile: string;
  readonly logFile: string;
  /** The orchestration's state folder (desired stacks, instances, logs). */
  readonly stateDir: string;
  /** `{ url, certFingerprint, pid }` of the running daemon (0600), removed when it stops. */
  readonly endpoint: string;
}

/**
 * The file layout of a daemon home.
 *
 * @example
 * const paths = daemonPaths(defaultHome());
 * console.log(paths.socket); // …/.harness/daemon.sock
 */
export function daemonPaths(home: string): DaemonPaths {
  const h = resolve(home);
  return {
    home: h,
    token: join(h, 'token'),
    tlsKey: join(h, 'tls', 'key.pem'),
    tlsCert: join(h, 'tls', 'cert.pem'),
    socket: join(h, 'daemon.sock'),
    pidFile: join(h, 'daemon.pid'),
    logFile: join(h, 'daemon.log'),
    stateDir: join(h, 'state'),
    endpoint: join(h, 'endpoint.json'),
  };
}

/**
 * The daemon home: `$HARNESS_HOME` when set and not empty, else `~/.harness`.
 *
 * @example
 * defaultHome({ HARNESS_HOME: '/srv/harness' }); // '/srv/harness'
 */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.HARNESS_HOME;
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(homedir(), '.harness');
}
