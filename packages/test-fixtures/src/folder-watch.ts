import { type FSWatcher, watch } from 'node:fs';
import type { TestContext } from 'node:test';

/**
 * Resolves once `condition()` holds, checking it at once and on every change in `dir` (inotify
 * on the folder, so no watch is put on the files in it); rejects after the upper bound. A
 * condition that throws (a file caught mid-rotation) is checked again at the next change.
 *
 * @example
 * await untilInFolder(t, logDir, () => existsSync(join(logDir, 'api.0.log.1')), 'a rotation');
 */
export function untilInFolder(
  t: TestContext,
  dir: string,
  condition: () => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    const done = (error?: Error): void => {
      clearTimeout(timer);
      watcher?.close();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`not within ${timeoutMs} ms: ${what}`)), timeoutMs);
    const check = (): void => {
      try {
        if (condition()) done();
      } catch {
        // caught mid-change: the next change checks again
      }
    };
    watcher = watch(dir, check);
    t.after(() => watcher?.close());
    check();
  });
}
