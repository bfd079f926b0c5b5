import { hostname } from 'node:os';
import { join } from 'node:path';
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
  /** Bounds of the per-instance log files (default the manager's: 10 MiB, 3 kept). */
  readonly logLimits?: LogLimits;
  /** Standalone mode: the controller to register with. Not available yet (rejects UNSUPPORTED). */
  readonly controller?: { readonly url: string; readonly token: string; readonly certFingerprint: string };
}

/** {@link WorkerOptions} with every default filled in. */
export interface NormalizedWorkerOptions {
  readonly stateDir: string;
  readonly host: string;
  readonly registryDir: string;
  readonly hostNetwork: WorkerHostNetwork;
  readonly logLimits: LogLimits | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

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
  if (!NAME.test(host)) {
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
    if (!(Number.isInteger(limits.maxBytes) && limits.maxBytes > 0)) {
      problems.push(`logLimits.maxBytes must be a whole number > 0, got ${q(limits.maxBytes)}`);
    }
    if (!(Number.isInteger(limits.keep) && limits.keep >= 0)) {
      problems.push(`logLimits.keep must be a whole number ≥ 0, got ${q(limits.keep)}`);
    }
  }
  if (problems.length > 0) {
    throw new WorkerError('INVALID_OPTION', `invalid worker options: ${problems.join('; ')}`);
  }
  if (options.controller !== undefined) {
    throw new WorkerError(
      'UNSUPPORTED',
      `standalone mode (controller ${q(options.controller.url)}) is not available in this version`,
    );
  }
  return {
    stateDir: options.stateDir,
    host,
    registryDir: options.registryDir ?? join(options.stateDir, 'registry'),
    hostNetwork: options.hostNetwork ?? { address: '127.0.0.1', network: 'local' },
    logLimits: limits,
  };
}
