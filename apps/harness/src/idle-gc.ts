/** Options of {@link collectWhenQuiet}. */
export interface QuietCollectorOptions {
  /** A full garbage collection (`globalThis.gc` of a process started with `--expose-gc`). */
  readonly gc: () => void;
  /** Quiet time after the last activity before collecting (default 300 ms). */
  readonly quietMs?: number;
  /** Collect only when the heap grew by this much since the last collection (default 2 MiB). */
  readonly minGrowthBytes?: number;
  /** The heap in use now (default `process.memoryUsage().heapUsed`). */
  readonly heapUsed?: () => number;
}

/**
 * Collects the garbage once, when the daemon falls quiet after a burst of work (a stack coming
 * up, a crash loop ending). V8's own "memory reducer" does the same job over the following
 * seconds with several incremental collections, so an idle daemon keeps waking for ~10 s; with
 * it off (`--no-memory-reducer`) and this on, the memory comes back at once and an idle daemon
 * does nothing at all. Returns `touch`, to call on every piece of activity; the timer never keeps
 * the process alive.
 *
 * @example
 * const touch = collectWhenQuiet({ gc: globalThis.gc });
 * for await (const event of manager.events.subscribe()) touch();
 */
export function collectWhenQuiet(options: QuietCollectorOptions): () => void {
  const quietMs = options.quietMs ?? 300;
  const minGrowth = options.minGrowthBytes ?? 2 * 1024 * 1024;
  const heapUsed = options.heapUsed ?? (() => process.memoryUsage().heapUsed);
  let afterLast = heapUsed();
  let timer: NodeJS.Timeout | undefined;
  const collect = (): void => {
    timer = undefined;
    if (heapUsed() - afterLast < minGrowth) return;
    options.gc();
    afterLast = heapUsed();
  };
  return () => {
    if (timer === undefined) {
      timer = setTimeout(collect, quietMs);
      timer.unref();
    } else timer.refresh();
  };
}
