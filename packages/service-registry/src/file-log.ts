import { randomBytes } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryError } from './errors.js';
import type { StoreOp } from './kv-state.js';
import type { JsonValue, StoreEntry } from './store.js';

/** What the `FORMAT` file of a store folder holds. */
const FORMAT = { format: 'harness-service-registry', version: 1 } as const;
const DIGITS = 16;

/** One committed revision, as in `log/<revision>.json`. */
export interface LogEntry {
  readonly revision: number;
  readonly ops: readonly StoreOp[];
}

/** The state at a revision, as in `snapshots/<revision>.json`. */
export interface SnapshotFile {
  readonly revision: number;
  readonly entries: readonly StoreEntry[];
}

/**
 * The files of a {@link FileStore} folder and the few operations on them:
 *
 * - `log/<revision>.json`: one file per committed revision. A revision is committed by `link()`ing a
 *   fully written, fsynced temporary file to its name; `link` fails if the name exists, so two
 *   processes racing for the same revision cannot both win (compare-and-swap on the revision slot).
 * - `snapshots/<revision>.json`: the whole state at a revision, written atomically; log files up to
 *   it may then be deleted.
 * - `tmp/`: files being written (`<pid>-<random>.tmp`); those of dead processes are removed on open.
 * @internal
 */
export class FileLog {
  readonly dir: string;
  readonly logDir: string;
  readonly snapshotDir: string;
  readonly tmpDir: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.logDir = join(dir, 'log');
    this.snapshotDir = join(dir, 'snapshots');
    this.tmpDir = join(dir, 'tmp');
  }

  /** Creates the folder layout if needed, checks the format and removes dead processes' temp files. */
  static async open(dir: string): Promise<FileLog> {
    const log = new FileLog(dir);
    await io(dir, () => mkdir(log.logDir, { recursive: true }));
    await io(dir, () => mkdir(log.snapshotDir, { recursive: true }));
    await io(dir, () => mkdir(log.tmpDir, { recursive: true }));
    const formatFile = join(dir, 'FORMAT');
    const text = await readText(formatFile);
    if (text === undefined) {
      await log.#writeAtomic(formatFile, `${JSON.stringify(FORMAT)}\n`);
    } else {
      const parsed = parseJson(text, formatFile);
      if (!isObject(parsed) || parsed.format !== FORMAT.format || parsed.version !== FORMAT.version) {
        throw corrupt(formatFile, `expected ${JSON.stringify(FORMAT)}`);
      }
    }
    await log.#removeDeadTemps();
    return log;
  }

  entryFile(revision: number): string {
    return join(this.logDir, `${pad(revision)}.json`);
  }

  /** The entry of `revision`, or `undefined` when there is no such file (yet, or any more). */
  async readEntry(revision: number): Promise<LogEntry | undefined> {
    const file = this.entryFile(revision);
    const text = await readText(file);
    if (text === undefined) return undefined;
    return parseEntry(parseJson(text, file), revision, file);
  }

  /** Tries to commit `entry`; `false` when its revision was taken by another writer first. */
  async tryCommit(entry: LogEntry): Promise<boolean> {
    const tmp = await this.#writeTemp(`${JSON.stringify(entry)}\n`);
    try {
      await link(tmp, this.entryFile(entry.revision));
    } catch (error) {
      if (code(error) === 'EEXIST') return false;
      throw ioError(this.entryFile(entry.revision), error);
    } finally {
      await unlink(tmp).catch(() => {});
    }
    await syncDir(this.logDir);
    return true;
  }

  /** Removes the entry of `revision` (ignores a missing file). */
  async removeEntry(revision: number): Promise<void> {
    await unlink(this.entryFile(revision)).catch(() => {});
  }

  /** The highest snapshot revision present, or 0. */
  async latestSnapshot(): Promise<number> {
    const names = await io(this.snapshotDir, () => readdir(this.snapshotDir));
    let top = 0;
    for (const n of names) {
      const m = /^(\d+)\.json$/.exec(n);
      if (m?.[1] !== undefined) top = Math.max(top, Number(m[1]));
    }
    return top;
  }

  /** The snapshot of `revision`, or `undefined` when it was removed meanwhile. */
  async readSnapshot(revision: number): Promise<SnapshotFile | undefined> {
    const file = join(this.snapshotDir, `${pad(revision)}.json`);
    const text = await readText(file);
    if (text === undefined) return undefined;
    return parseSnapshot(parseJson(text, file), revision, file);
  }

  /** Writes the snapshot of `revision` atomically, then deletes older snapshots and log entries up to it. */
  async compact(snapshot: SnapshotFile): Promise<void> {
    await this.#writeAtomic(
      join(this.snapshotDir, `${pad(snapshot.revision)}.json`),
      JSON.stringify(snapshot),
    );
    for (const n of await io(this.snapshotDir, () => readdir(this.snapshotDir))) {
      const m = /^(\d+)\.json$/.exec(n);
      if (m?.[1] !== undefined && Number(m[1]) < snapshot.revision) {
        await unlink(join(this.snapshotDir, n)).catch(() => {});
      }
    }
    for (const n of await io(this.logDir, () => readdir(this.logDir))) {
      const m = /^(\d+)\.json$/.exec(n);
      if (m?.[1] !== undefined && Number(m[1]) <= snapshot.revision) {
        await unlink(join(this.logDir, n)).catch(() => {});
      }
    }
  }

  /** Calls `onChange` whenever a file appears or disappears in `log/` (inotify, FSEvents, …; no polling). */
  watch(onChange: () => void, onError: (error: Error) => void): FSWatcher {
    const watcher = watch(this.logDir, { persistent: true }, onChange);
    watcher.on('error', (error) => onError(ioError(this.logDir, error)));
    return watcher;
  }

  async #writeTemp(data: string): Promise<string> {
    const tmp = join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}.tmp`);
    const handle = await io(tmp, () => open(tmp, 'wx', 0o600));
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return tmp;
  }

  async #writeAtomic(file: string, data: string): Promise<void> {
    const tmp = await this.#writeTemp(data);
    await io(file, () => rename(tmp, file));
    await syncDir(join(file, '..'));
  }

  async #removeDeadTemps(): Promise<void> {
    for (const n of await io(this.tmpDir, () => readdir(this.tmpDir))) {
      const pid = Number(/^(\d+)-/.exec(n)?.[1]);
      if (Number.isInteger(pid) && pid > 0 && !isAlive(pid))
        await unlink(join(this.tmpDir, n)).catch(() => {});
    }
  }
}

function pad(revision: number): string {
  return String(revision).padStart(DIGITS, '0');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return code(error) === 'EPERM';
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await io(dir, () => open(dir, 'r'));
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    throw ioError(file, error);
  }
}

async function io<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw ioError(file, error);
  }
}

function code(error: unknown): string | undefined {
  return isObject(error) && typeof error.code === 'string' ? error.code : undefined;
}

function ioError(file: string, cause: unknown): RegistryError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new RegistryError('IO', `store file system error on ${file}: ${reason}`, { file, cause });
}

function corrupt(file: string, why: string, cause?: unknown): RegistryError {
  return new RegistryError('STORE_CORRUPT', `store file ${file} is corrupt: ${why}`, { file, cause });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw corrupt(file, `not valid JSON (${error instanceof Error ? error.message : String(error)})`, error);
  }
}

function parseEntry(v: unknown, revision: number, file: string): LogEntry {
  if (!isObject(v) || v.revision !== revision || !Array.isArray(v.ops)) {
    throw corrupt(file, `expected { "revision": ${revision}, "ops": [...] }`);
  }
  const ops: StoreOp[] = v.ops.map((op, i) => {
    if (isObject(op) && typeof op.key === 'string') {
      if (op.type === 'put' && 'value' in op)
        return { type: 'put', key: op.key, value: op.value as JsonValue };
      if (op.type === 'delete') return { type: 'delete', key: op.key };
    }
    throw corrupt(file, `ops[${i}] is not a put or delete`);
  });
  return { revision, ops };
}

function parseSnapshot(v: unknown, revision: number, file: string): SnapshotFile {
  if (!isObject(v) || v.revision !== revision || !Array.isArray(v.entries)) {
    throw corrupt(file, `expected { "revision": ${revision}, "entries": [...] }`);
  }
  const entries: StoreEntry[] = v.entries.map((e, i) => {
    if (
      isObject(e) &&
      typeof e.key === 'string' &&
      'value' in e &&
      typeof e.createRevision === 'number' &&
      typeof e.modRevision === 'number'
    ) {
      return {
        key: e.key,
        value: e.value as JsonValue,
        createRevision: e.createRevision,
        modRevision: e.modRevision,
      };
    }
    throw corrupt(file, `entries[${i}] is not { key, value, createRevision, modRevision }`);
  });
  return { revision, entries };
}
