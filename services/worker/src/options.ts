import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HOST_NAME, normalizeFingerprint } from '@harness/protocol';
import type { LogLimits } from '@harness/service-orchestration';
import type { HostNetwork } from '@harness/service-registry';
import { WorkerError } from './errors.js';

/** How other hosts reach this one, as recorded in the registry. */
export interface WorkerHostNetwork {
  readonly address: string;
  readonly network: HostNetwork;
  readonly wireguardAddress?: string;
}

/** Options of the worker's {@link init}. */
export interface WorkerOptions {
  /** Folder of the service manager's state and logs (made if missing). */
  readonly stateDir: string;
  /** This host's name in the registry (default `os.hostname()`). */
  readonly host?: string;
  /** Folder of the registry's file store (default `<stateDir>/registry`). */
  readonly registryDir?: string;
  /** How other hosts reach this one (default `{ address: '127.0.0.1', network: 'local' }`). */
  readonly hostNetwork?: WorkerHostNetwork;
  /**
   * Bounds of the per-instance log files (default the manager's: 10 MiB, 3 kept); `maxBytes` 0
   * turns rotation off (as `logs: { max_size: 0 }` in harness.yaml): the files grow without bound.
   */
  readonly logLimits?: LogLimits;
  /**
   * Standalone mode: the controller to connect to (`wss://` with the token and the pinned
   * certificate fingerprint). The worker registers `host` there and answers the calls for it;
   * it reconnects with backoff when the connection is lost.
   */
  readonly controller?: WorkerControllerOptions;
  /** The version the worker registers with (default this package's). */
  readonly version?: string;
  /** Hears what happens to the connection to the controller (standalone mode). */
  readonly onController?: (event: ControllerLinkEvent) => void;
}

/** Where a standalone worker's controller is, and how to prove who it is. */
export interface WorkerControllerOptions {
  /** `wss://host:port` of the controller's client API. */
  readonly url: string;
  /** The controller's token (its `HARNESS_HOME/token`). */
  readonly token: string;
  /** SHA-256 of the controller's certificate (hex, colons allowed): pinned. */
  readonly certFingerprint: string;
  /** First delay before a reconnection attempt, ms (default 200); doubles up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  /** Longest delay between reconnection attempts, ms (default 10 000). */
  readonly maxDelayMs?: number;
  /** Bound on connecting plus registering, ms (default 10 000). */
  readonly timeoutMs?: number;
}

/** What happens to a standalone worker's connection to its controller. */
export type ControllerLinkEvent =
  /** Registered (at init, or again after a reconnection). */
  | {
      readonly type: 'registered';
      readonly url: string;
      readonly host: string;
      /** The controller's version. */
      readonly version: string;
      /** Attempts it took since the connection was lost (0 at init). */
      readonly attempts: number;
    }
  /** The connection is lost; services keep running, attempts to reconnect follow. */
  | { readonly type: 'disconnected'; readonly url: string; readonly reason: string }
  /** The next attempt to reconnect is in `delayMs`; `error` says why the last one failed. */
  | {
      readonly type: 'retrying';
      readonly url: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly error?: string;
    };

/** {@link WorkerOptions} with every default filled in. */
export interface NormalizedWorkerOptions {
  readonly stateDir: string;
  readonly host: string;
  readonly registryDir: string;
  readonly hostNetwork: WorkerHostNetwork;
  readonly logLimits: LogLimits | undefined;
  readonly controller:
    | (Required<Omit<WorkerControllerOptions, 'certFingerprint'>> & { readonly certFingerprint: string })
    | undefined;
  readonly version: string;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Checks the options and fills in the defaults; every problem is reported at once, each with
 * the bad value quoted.
 *
 * @example
 * normalizeOptions({ stateDir: '/tmp/w' }).registryDir; // '/tmp/w/registry'
 */
export function normalizeOptions(options: WorkerOptions): NormalizedWorkerOptions {
  const problems: string[] = [];
  const q = (v: unknown): string => JSON.stringify(v) ?? String(v);
  if (typeof options.stateDir !== 'string' || options.stateDir === '') {
    problems.push(`stateDir must be a non-empty path, got ${q(options.stateDir)}`);
  }
  const host = options.host ?? hostname();
  if (!HOST_NAME.test(host)) {
    problems.push(
      `host must be 1-128 letters, digits, "_", "." or "-" (not starting with one of the last three), got ${q(host)}`,
    );
  }
  if (
    options.registryDir !== undefined &&
    (typeof options.registryDir !== 'string' || options.registryDir === '')
  ) {
    problems.push(`registryDir must be a non-empty path, got ${q(options.registryDir)}`);
  }
  const limits = options.logLimits;
  if (limits !== undefined) {
    if (!(Number.isSafeInteger(limits.maxBytes) && limits.maxBytes >= 0)) {
      problems.push(
        `logLimits.maxBytes must be a whole number ≥ 0 (0: no rotation), got ${q(limits.maxBytes)}`,
      );
    }
    if (!(Number.isSafeInteger(limits.keep) && limits.keep >= 0)) {
      problems.push(`logLimits.keep must be a whole number ≥ 0, got ${q(limits.keep)}`);
    }
  }
  const c = options.controller;
  if (c !== undefined) {
    if (typeof c.url !== 'string' || !/^wss:\/\/[^/\s]+/.test(c.url)) {
      problems.push(`controller.url must be a wss:// URL, got ${q(c.url)}`);
    }
    if (typeof c.token !== 'string' || c.token.trim() === '') {
      problems.push("controller.token must be the controller's token (not empty)");
    }
    if (
      typeof c.certFingerprint !== 'string' ||
      !/^[0-9a-f]{64}$/.test(normalizeFingerprint(c.certFingerprint))
    ) {
      problems.push(
        `controller.certFingerprint must be a SHA-256 fingerprint (64 hex digits, colons allowed), got ${q(c.certFingerprint)}`,
      );
    }
    for (const key of ['initialDelayMs', 'maxDelayMs', 'timeoutMs'] as const) {
      const v = c[key];
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
        problems.push(`controller.${key} must be a whole number > 0, got ${q(v)}`);
      }
    }
  }
  if (options.version !== undefined && (typeof options.version !== 'string' || options.version === '')) {
    problems.push(`version must be a non-empty string, got ${q(options.version)}`);
  }
  if (problems.length > 0) {
    throw new WorkerError('INVALID_OPTION', `invalid worker options: ${problems.join('; ')}`);
  }
  return {
    stateDir: options.stateDir,
    host,
    registryDir: options.registryDir ?? join(options.stateDir, 'registry'),
    hostNetwork: options.hostNetwork ?? { address: '127.0.0.1', network: 'local' },
    logLimits: limits,
    controller:
      c === undefined
        ? undefined
        : {
            url: c.url,
            token: c.token.trim(),
            certFingerprint: normalizeFingerprint(c.certFingerprint),
            initialDelayMs: c.initialDelayMs ?? 200,
            maxDelayMs: c.maxDelayMs ?? 10_000,
            timeoutMs: c.timeoutMs ?? 10_000,
          },
    version: options.version ?? packageVersion(),
  };
}
