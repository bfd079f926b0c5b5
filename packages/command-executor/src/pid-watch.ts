import { isRunning } from './proc.js';

interface Watched {
  readonly pid: number;
  readonly startTime: number | undefined;
  readonly gone: () => void;
}

/** Every how many ticks a process that answers signal 0 has its /proc entry read as well. */
const FULL_CHECK_EVERY = 10;

/**
 * Watches processes that are not our children for their end, all on ONE timer per interval:
 * an idle supervisor of 100 adopted services wakes once per interval, not 100 times. A tick
 * sends signal 0 to each process (one syscall); every {@link FULL_CHECK_EVERY} ticks it reads
 * /proc as well, which catches a zombie nobody reaps and a pid reused by another process.
 */
class PidPoller {
  readonly #interval: number;
  readonly #watched = new Set<Watched>();
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;

  constructor(interval: number) {
    this.#interval = interval;
  }

  add(w: Watched): () => void {
    this.#watched.add(w);
    this.#timer ??= setInterval(() => this.#tick(), this.#interval);
    return () => this.#remove(w);
  }

  #remove(w: Watched): void {
    this.#watched.delete(w);
    if (this.#watched.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    const full = ++this.#ticks % FULL_CHECK_EVERY === 0;
    for (const w of [...this.#watched]) {
      if (!(full ? isRunning(w.pid, w.startTime) : answers(w.pid))) {
        this.#remove(w);
        w.gone();
      }
    }
  }
}

/** Whether a process with this pid exists (a zombie included): signal 0. */
function answers(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const pollers = new Map<number, PidPoller>();

/**
 * Calls `gone` once the process `pid` (with `startTime`, when given) has ended, checking every
 * `interval` ms on a timer shared with every other watch of the same interval. Checks at once
 * first. Returns a function that cancels the watch.
 */
export function watchPid(
  pid: number,
  startTime: number | undefined,
  interval: number,
  gone: () => void,
): () => void {
  if (!isRunning(pid, startTime)) {
    gone();
    return () => {};
  }
  let poller = pollers.get(interval);
  if (poller === undefined) {
    poller = new PidPoller(interval);
    pollers.set(interval, poller);
  }
  return poller.add({ pid, startTime, gone });
}
