import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { OutputEvent } from './events.js';
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter } from './line-splitter.js';

/** Options of {@link FileFollower}. */
export interface FileFollowerOptions {
  /** Which stream the file holds: the `type` of the events it gives. */
  readonly stream: 'stdout' | 'stderr';
  /** Byte offset to start from; default: the end of the file as it is now (only new lines). */
  readonly from?: number | 'start' | 'end';
  readonly maxLineLength?: number;
  /** Called with every line, in order, with `offset` just past the line. */
  readonly onLine: (event: OutputEvent) => void;
}

const CHUNK = 256 * 1024;

/**
 * Follows a log file as it grows, giving each new line as an {@link OutputEvent} with its byte
 * offset, so a follower can stop and a later one resume with no line lost or doubled. It wakes
 * on inotify (`fs.watch`), not on a timer. A file that shrinks (truncated when rotated) is read
 * again from its start.
 *
 * @example
 * const f = new FileFollower('/var/log/app.log', { stream: 'stdout', from: 'start', onLine: (e) => console.log(e.line) });
 * await f.start();
 * // … later
 * await f.close({ final: true });
 */
export class FileFollower {
  readonly path: string;
  readonly #options: FileFollowerOptions;
  #fh: FileHandle | undefined;
  #watcher: FSWatcher | undefined;
  #position = 0;
  #splitter: LineSplitter;
  #reading: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #buffer = Buffer.allocUnsafe(CHUNK);

  constructor(path: string, options: FileFollowerOptions) {
    this.path = path;
    this.#options = options;
    this.#splitter = new LineSplitter(options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
  }

  /** Offset just past the last line given out: where a later follower should resume. */
  get offset(): number {
    return this.#splitter.offset;
  }

  /** Opens the file, reads what is there past the start offset, and starts watching it. */
  async start(): Promise<void> {
    this.#fh = await open(this.path, 'r');
    const from = this.#options.from ?? 'end';
    const size = (await this.#fh.stat()).size;
    this.#position = from === 'start' ? 0 : from === 'end' ? size : from;
    this.#splitter = new LineSplitter(this.#options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH, this.#position);
    this.#watcher = watch(this.path, () => void this.drain());
    this.#watcher.on('error', () => undefined);
    await this.drain();
  }

  /** Reads everything written so far. Concurrent calls share one read loop. */
  drain(): Promise<void> {
    if (this.#fh === undefined || this.#closed) return Promise.resolve();
    if (this.#reading !== undefined) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = this.#readLoop().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #readLoop(): Promise<void> {
    const fh = this.#fh;
    if (fh === undefined) return;
    do {
      this.#again = false;
      const size = (await fh.stat()).size;
      if (size < this.#position) {
        // truncated (copy-truncate rotation): start over from the beginning
        this.#position = 0;
        this.#splitter = new LineSplitter(this.#options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH, 0);
      }
      for (;;) {
        const { bytesRead } = await fh.read(this.#buffer, 0, CHUNK, this.#position);
        if (bytesRead === 0) break;
        this.#position += bytesRead;
        this.#give(this.#splitter.push(this.#buffer.subarray(0, bytesRead)));
      }
    } while (this.#again && !this.#closed);
  }

  #give(lines: ReturnType<LineSplitter['push']>): void {
    const type = this.#options.stream;
    for (const l of lines) {
      const event: OutputEvent = l.partial
        ? { type, time: Date.now(), line: l.line, partial: true, offset: l.end }
        : { type, time: Date.now(), line: l.line, offset: l.end };
      this.#options.onLine(event);
    }
  }

  /**
   * Stops following. With `final`, first reads to the end and gives a last line that has no
   * newline (the writer is gone, so it will get none).
   */
  async close(options: { final?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#watcher?.close();
    await this.drain();
    if (options.final) this.#give(this.#splitter.flush());
    this.#closed = true;
    await this.#fh?.close();
    this.#fh = undefined;
  }
}
