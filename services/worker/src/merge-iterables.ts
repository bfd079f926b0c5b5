/**
 * Interleaves several async iterables as their items arrive. When the consumer stops early (or
 * one source throws), `stop` is called first — it must make every source end (the worker aborts
 * their signal) — then every source is returned, so no follower outlives the merge.
 *
 * @example
 * for await (const line of mergeIterables([a, b], () => controller.abort())) console.log(line);
 */
export async function* mergeIterables<T>(
  sources: readonly AsyncIterable<T>[],
  stop: () => void,
): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number): void => {
    const it = iterators[index];
    if (it !== undefined)
      pending.set(
        index,
        it.next().then((result) => ({ index, result })),
      );
  };
  for (let i = 0; i < iterators.length; i++) pull(i);
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done === true) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield result.value;
    }
  } finally {
    stop();
    // Let the sources that still have a pull outstanding see the stop, then close them all.
    await Promise.allSettled(pending.values());
    await Promise.allSettled(iterators.map((it) => it.return?.()));
  }
}
