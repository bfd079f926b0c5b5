/** A source text with line lookups, so offsets can be turned into 1-based line and column. */
export class SourceText {
  readonly file: string;
  readonly text: string;
  readonly #lineStarts: number[];

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.#lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
  }

  /**
   * The 1-based line and column of an offset (clamped to the text).
   *
   * @example
   * new SourceText('f', 'a: 1\nb: 2').position(5); // { line: 2, column: 1 }
   */
  position(offset: number): { line: number; column: number } {
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#lineStarts[mid] ?? 0) <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - (this.#lineStarts[lo] ?? 0) + 1 };
  }

  /**
   * The text of a 1-based line, without its line break.
   *
   * @example
   * new SourceText('f', 'a: 1\nb: 2').lineText(2); // 'b: 2'
   */
  lineText(line: number): string {
    const start = this.#lineStarts[line - 1];
    if (start === undefined) return '';
    const next = this.#lineStarts[line];
    return this.text.slice(start, next === undefined ? this.text.length : next - 1).replace(/\r$/, '');
  }

  /**
   * The offset of a 1-based line and column (clamped to the text).
   *
   * @example
   * new SourceText('f', 'a: 1\nb: 2').offsetOf(2, 1); // 5
   */
  offsetOf(line: number, column: number): number {
    const start = this.#lineStarts[Math.max(0, line - 1)] ?? this.text.length;
    return Math.min(this.text.length, start + Math.max(0, column - 1));
  }
}
