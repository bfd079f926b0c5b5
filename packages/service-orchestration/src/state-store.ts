import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OrchestrationError } from './errors.js';
import type { ServiceCounters } from './events.js';
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
  /** Per service: restarts, spawned, terminated, breaker trips — kept across supervisors. */
  readonly counters?: Readonly<Record<string, ServiceCounters>>;
}

export interface PersistedState {
  readonly version: 1;
  readonly stacks: Readonly<Record<string, PersistedStack>>;
}

const EMPTY: PersistedState = { version: 1, stacks: {} };

/**
 * The manager's state on disk, `<dir>/state.json`, replaced atomically: written to a temporary
 * file and renamed over the old one — so a supervisor killed at any instant leaves either the
 * old state or the new one, never a torn file. A durable save also fsyncs the file and the
 * folder, so the state survives the machine going down too.
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

  /**
   * Writes the state off the event loop (the thread pool does the I/O). Not durable, it is still
   * atomic against the supervisor's death; `durable` adds the fsyncs that make it survive a
   * power loss. Calls must not overlap (the manager serializes them).
   */
  async write(state: PersistedState, durable: boolean): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(state));
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    if (durable) {
      const dir = await open(dirname(this.file), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }

  /** Writes the state at once, durably, on this thread. */
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
