/**
 * Helpers of the tests against real processes: process liveness from /proc, event readers with
 * an upper bound, scratch folders and the cgroups a test made.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type EventReader, harnessCgroupRoot, type ProcessEvent, readProcStat } from '../../src/index.js';

/** Whether a pid is gone: no /proc entry, or a zombie (exited, only waiting to be reaped). */
export function gone(pid: number): boolean {
  const st = readProcStat(pid);
  return st === undefined || st.state === 'Z' || st.state === 'X';
}

/** The pids of `pids` that still run, right now. */
export function alive(pids: readonly number[]): number[] {
  return pids.filter((p) => !gone(p));
}

/**
 * Polls /proc until every pid is gone or the deadline passes (for processes we get no event
 * about, e.g. ones reparented to PID 1); returns those still alive.
 */
export async function aliveAfter(pids: readonly number[], deadlineMs = 5000): Promise<number[]> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const left = alive(pids);
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls `check` until it is true or the deadline passes (for states no event tells about). */
export async function eventually(check: () => boolean, deadlineMs = 5000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** A scratch folder removed after the test. */
export function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmdexec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A cgroup label unique to this test run, to find the cgroups a test made. */
export function uniqueName(label: string): string {
  return `${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The cgroups under `<cgroup2 mount>/harness` whose name starts with `label`. */
export function cgroupsNamed(label: string): string[] {
  const root = harnessCgroupRoot();
  if (root === undefined) throw new Error('cgroup v2 is not writable here, but these tests need it');
  return readdirSync(root).filter((n) => n.startsWith(`${label}-`));
}

type Item = ProcessEvent | { type: 'lagged'; time: number; dropped: number };

/**
 * Reads until `until` says stop (the event that made it stop is included) and leaves the reader
 * open; throws if the reader ends first or after `timeoutMs`.
 */
export async function readUntil(
  reader: EventReader<ProcessEvent>,
  until: (e: Item) => boolean,
  timeoutMs = 10_000,
): Promise<Item[]> {
  const out: Item[] = [];
  const timer = setTimeout(() => void reader.return(), timeoutMs);
  try {
    // next() by hand: a `return` out of `for await` would end the reader, and callers read on.
    for (let r = await reader.next(); !r.done; r = await reader.next()) {
      out.push(r.value);
      if (until(r.value)) return out;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(
    `reader ended (or timed out after ${timeoutMs} ms) before the awaited event; got ${JSON.stringify(out.slice(-5))}`,
  );
}

/** The text lines of one stream among events. */
export function linesOf(events: readonly Item[], type: 'stdout' | 'stderr' = 'stdout'): string[] {
  return events.flatMap((e) => (e.type === type ? [e.line] : []));
}
