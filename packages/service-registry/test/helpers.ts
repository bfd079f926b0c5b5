import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  FileStore,
  MemoryStore,
  type RegistryChange,
  type RegistryStore,
  type RegistryWatch,
} from '../src/index.js';

/** A fresh folder under the OS temp dir, removed after the test. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'harness-registry-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The two stores, for tests that must hold for both. */
export const stores: Array<[string, (t: TestContext) => Promise<RegistryStore>]> = [
  ['MemoryStore', async () => new MemoryStore()],
  ['FileStore', async (t) => FileStore.open(await tempDir(t))],
];

/** Reads changes until `done` says so (the change that satisfies it is included). */
export async function readUntil(
  watch: RegistryWatch,
  done: (change: RegistryChange, seen: RegistryChange[]) => boolean,
): Promise<RegistryChange[]> {
  const seen: RegistryChange[] = [];
  for (;;) {
    const r = await watch.next();
    if (r.done === true) return seen;
    seen.push(r.value);
    if (done(r.value, seen)) return seen;
  }
}

/** Rejects if `promise` has not settled within `ms` (a generous upper bound, never a wait). */
export function within<T>(promise: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

const fixtures = new URL('./fixtures/', import.meta.url);

/** Runs a fixture under `node --import tsx`, resolving to its stdout; rejects on a non-zero exit. */
export async function runFixture(name: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(name, fixtures).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${name} exited with ${String(code)}: ${err}`);
  return out;
}
