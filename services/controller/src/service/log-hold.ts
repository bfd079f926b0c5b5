import { isLogBatch, type Lagged, type LogBatch } from '@harness/protocol';

/**
 * What the controller holds, at most, of one `logs` subscription with `wait` forwarded to a
 * standalone worker, for a client that reads slower than the worker sends: the characters of
 * the lines plus {@link LINE_OVERHEAD} per line, about what they take in memory.
 */
export const WAIT_HOLD_BYTES = 16 * 1024 * 1024;

/** What a held line counts for besides its text. */
export const LINE_OVERHEAD = 32;

/**
 * Batches held at most. With one loss marker at most after each, the caller's queue
 * (`DEFAULT_QUEUE_LIMIT`, 10 000 items) never fills, so it never drops a batch itself (it would
 * count one lost event for its lines).
 */
export const WAIT_HOLD_BATCHES = 4096;

/** Where held lines were dropped, in the queue's order: `lines` of them (internal). */
class Lost {
  lines: number;
  /** Handed to the reader: later losses go into a new marker. */
  released = false;

  constructor(lines: number) {
    this.lines = lines;
  }
}

/** The held weight of a batch: the characters of its lines plus {@link LINE_OVERHEAD} each. */
function weight(batch: LogBatch): number {
  let chars = 0;
  for (const line of batch.lines) chars += line.length;
  return chars + LINE_OVERHEAD * batch.lines.length;
}

/**
 * The controller's side of a `logs` subscription with `wait` on a standalone worker (internal).
 * The worker sends `LogBatch`es as fast as their shared connection takes them (that connection
 * is never paused for one client); the controller hands them on at its client's pace and holds
 * the difference, up to {@link WAIT_HOLD_BYTES} (and {@link WAIT_HOLD_BATCHES}). Past that it
 * drops the newest batches and marks the place: the client gets one `{ lagged: n }` there, with
 * the number of lines lost, as from any subscription that lost events.
 *
 * `take` goes in as the caller's `expand` (it sees every event as it arrives, in order);
 * `release` wraps the caller's items.
 *
 * @example
 * const hold = new LogHold();
 * const { items } = caller.subscribe('logs', params, { signal, expand: (e) => hold.take(e) });
 * for await (const item of hold.release(items)) send(item);
 */
export class LogHold {
  #bytes = 0;
  #batches = 0;
  /** The marker last queued, while nothing was queued after it: further losses add to it. */
  #last: Lost | undefined;

  /** What the queue gets for an event from the worker: the batch, a loss marker, or nothing. */
  take(event: unknown): readonly unknown[] {
    if (!isLogBatch(event)) return [event];
    const w = weight(event);
    const room =
      this.#batches === 0 || (this.#batches < WAIT_HOLD_BATCHES && this.#bytes + w <= WAIT_HOLD_BYTES);
    if (room) {
      this.#bytes += w;
      this.#batches++;
      this.#last = undefined;
      return [event];
    }
    const last = this.#last;
    if (last !== undefined && !last.released) {
      last.lines += event.lines.length;
      return [];
    }
    this.#last = new Lost(event.lines.length);
    return [this.#last];
  }

  /** The caller's items as the client gets them: batches, and `{ lagged }` where lines were lost. */
  async *release(items: AsyncIterable<unknown>): AsyncGenerator<unknown> {
    for await (const item of items) {
      if (item instanceof Lost) {
        item.released = true;
        yield { lagged: item.lines } satisfies Lagged;
        continue;
      }
      if (isLogBatch(item)) {
        this.#bytes -= weight(item);
        this.#batches--;
      }
      yield item;
    }
  }
}
