/** Default bound on one line: longer lines are delivered in pieces of at most this many bytes. */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

/** One line cut from a byte stream. */
export interface SplitLine {
  readonly line: string;
  /** True when the line was cut at the length bound and continues in the next piece. */
  readonly partial: boolean;
  /** Bytes consumed from the start of the stream up to and including this line's ending. */
  readonly end: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines: a line ends at `\n` (a `\r` before it is dropped), chunks may
 * cut lines and UTF-8 characters anywhere, and a final line without newline is given by
 * {@link flush}. Splitting on the byte 0x0A is safe in UTF-8, which never uses it inside a
 * character. A line longer than `maxLineLength` bytes is given in pieces cut on character
 * boundaries, each but the last marked `partial`.
 *
 * @example
 * const s = new LineSplitter();
 * s.push(Buffer.from('a\r\nb')); // => [{ line: 'a', partial: false, end: 3 }]
 * s.flush();                     // => [{ line: 'b', partial: false, end: 4 }]
 */
export class LineSplitter {
  readonly #max: number;
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #consumed: number;

  constructor(maxLineLength: number = DEFAULT_MAX_LINE_LENGTH, startOffset = 0) {
    if (!Number.isInteger(maxLineLength) || maxLineLength < 4) {
      throw new RangeError(`maxLineLength must be a whole number ≥ 4, got ${JSON.stringify(maxLineLength)}`);
    }
    this.#max = maxLineLength;
    this.#consumed = startOffset;
  }

  /** Bytes given so far that are not yet part of a line. */
  get buffered(): number {
    return this.#pendingLength;
  }

  /** Offset just past the last line given out. */
  get offset(): number {
    return this.#consumed;
  }

  push(chunk: Buffer): SplitLine[] {
    const out: SplitLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      let bytes: Buffer;
      if (this.#pendingLength > 0) {
        this.#pending.push(piece);
        bytes = Buffer.concat(this.#pending, this.#pendingLength + piece.length);
        this.#pending = [];
        this.#pendingLength = 0;
      } else {
        bytes = piece;
      }
      const used = bytes.length + 1;
      if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
      this.#emit(bytes, used, out);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#pending.push(Buffer.from(rest));
      this.#pendingLength += rest.length;
      if (this.#pendingLength > this.#max) this.#cutLong(out);
    }
    return out;
  }

  /** Gives the final line when the stream ended without a newline. */
  flush(): SplitLine[] {
    if (this.#pendingLength === 0) return [];
    const bytes = Buffer.concat(this.#pending, this.#pendingLength);
    this.#pending = [];
    this.#pendingLength = 0;
    const out: SplitLine[] = [];
    this.#emit(bytes, bytes.length, out);
    return out;
  }

  #emit(bytes: Buffer, used: number, out: SplitLine[]): void {
    const pos = this.#cutPieces(bytes, out);
    this.#consumed += used - pos;
    out.push({ line: bytes.toString('utf8', pos), partial: false, end: this.#consumed });
  }

  #cutLong(out: SplitLine[]): void {
    const bytes = Buffer.concat(this.#pending, this.#pendingLength);
    const rest = bytes.subarray(this.#cutPieces(bytes, out));
    this.#pending = [rest];
    this.#pendingLength = rest.length;
  }

  /** Gives out full-size pieces while more than the bound is left; returns where the rest starts. */
  #cutPieces(bytes: Buffer, out: SplitLine[]): number {
    let pos = 0;
    while (bytes.length - pos > this.#max) {
      const cut = charBoundary(bytes, pos + this.#max);
      this.#consumed += cut - pos;
      out.push({ line: bytes.toString('utf8', pos, cut), partial: true, end: this.#consumed });
      pos = cut;
    }
    return pos;
  }
}

/** The largest index ≤ `at` that does not fall inside a UTF-8 character. */
function charBoundary(bytes: Buffer, at: number): number {
  let i = at;
  while (i > at - 4 && i > 0 && (bytes[i]! & 0xc0) === 0x80) i--;
  return i > at - 4 && i > 0 ? i : at;
}
