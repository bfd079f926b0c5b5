import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OrchestrationError } from './errors.js';
import type { InstanceRecord } from './executor.js';
import type { RunHistory } from './restart-policy.js';
import type { StackSpec } from './spec.js';

/** What is persisted of one instance. */
export interface PersistedInstance {
  readonly index: number;
  readonly record?: InstanceRecord | undefined;
  readonly history: RunHistory;
}

/** What is persisted of one stack. */
export interface PersistedStack {
  readonly spec: StackSpec;
  /** Services the user wants running. */
  readonly desired: readonly string[];
  readonly instances: Readonly<Record<string, readonly PersistedInstance[]>>;
}

export interface PersistedState {
  readonly version: 1;
  readonly stacks: Readonly<Record<string, PersistedStack>>;
}

const EMPTY: PersistedState = { version: 1, stacks: {} };

/**
 * The manager's state on disk, `<dir>/state.json`, replaced atomically: written to a temporary
 * file, fsynced, renamed over the old one, and the folder fsynced — so a supervisor killed at
 * any instant leaves either the old state or the new one, never a torn file.
 */
export class StateStore {
  readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'state.json');
  }

  load(): PersistedState {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
      throw e;
    }
    try {
      const parsed = JSON.parse(text) as PersistedState;
      if (parsed.version !== 1 || typeof parsed.stacks !== 'object' || parsed.stacks === null) {
        throw new Error(`unknown state version ${JSON.stringify(parsed.version)}`);
      }
      return parsed;
    } catch (e) {
      throw new OrchestrationError(
        'STATE_CORRUPT',
        `state file ${this.file} is not valid: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }

  save(state: PersistedState): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dfd = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
}
