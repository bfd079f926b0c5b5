import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter, type SplitLine } from '../src/index.js';

/** Feeds `chunks` and flushes; returns every line. */
function split(chunks: readonly Buffer[], max?: number): SplitLine[] {
  const s = new LineSplitter(max);
  return [...chunks.flatMap((c) => s.push(c)), ...s.flush()];
}

/** Cuts `bytes` at the given positions. */
function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('LineSplitter', () => {
  it('splits on LF, drops the CR of CRLF, keeps empty lines and gives a final line on flush', () => {
    assert.deepEqual(split([Buffer.from('a\r\nb\n\nc')]), [
      { line: 'a', partial: false, end: 3 },
      { line: 'b', partial: false, end: 5 },
      { line: '', partial: false, end: 6 },
      { line: 'c', partial: false, end: 7 },
    ]);
    assert.deepEqual(split([]), []);
    assert.deepEqual(split([Buffer.from('x\n')]), [{ line: 'x', partial: false, end: 2 }]);
  });

  it('joins lines cut across chunks, a CR and its LF in different chunks, and a split character', () => {
    const euro = Buffer.from('€');
    const lines = split([
      Buffer.from('ab'),
      Buffer.concat([Buffer.from('c'), euro.subarray(0, 2)]),
      Buffer.concat([euro.subarray(2), Buffer.from('\r')]),
      Buffer.from('\nz'),
    ]);
    assert.deepEqual(
      lines.map((l) => l.line),
      ['abc€', 'z'],
    );
    assert.equal(lines[0]?.end, 8);
  });

  it('cuts a long line into partial pieces at the bound, never inside a UTF-8 character', () => {
    const lines = split([Buffer.from('abcdefg€€xyz\n')], 8);
    assert.deepEqual(
      lines.map((l) => [l.line, l.partial, l.end]),
      [
        ['abcdefg', true, 7],
        ['€€xy', true, 15],
        ['z', false, 17],
      ],
    );
  });

  it('cuts a long line that arrives without a newline while it grows (bounded buffer)', () => {
    const s = new LineSplitter(16);
    const out = s.push(Buffer.alloc(40, 'a'));
    assert.deepEqual(
      out.map((l) => [l.line.length, l.partial]),
      [
        [16, true],
        [16, true],
      ],
    );
    assert.equal(s.buffered, 8, 'at most the bound stays buffered');
    assert.deepEqual(
      s.push(Buffer.from('b\n')).map((l) => [l.line, l.partial, l.end]),
      [['aaaaaaaab', false, 42]],
    );
  });

  it('has a 1 MiB default bound and refuses a bound below 4', () => {
    assert.equal(DEFAULT_MAX_LINE_LENGTH, 1024 * 1024);
    assert.throws(() => new LineSplitter(3), RangeError);
    assert.throws(() => new LineSplitter(1.5), RangeError);
  });

  it('starts its offsets at startOffset', () => {
    const s = new LineSplitter(DEFAULT_MAX_LINE_LENGTH, 100);
    assert.deepEqual(s.push(Buffer.from('ab\n')), [{ line: 'ab', partial: false, end: 103 }]);
    assert.equal(s.offset, 103);
  });

  it('gives the same lines however the bytes are chunked (property)', () => {
    const text = fc.array(fc.constantFrom('a', 'é', '€', '𝄞', '\n', '\r', '\r\n', ' '), { maxLength: 80 });
    fc.assert(
      fc.property(
        text,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.integer({ min: 4, max: 12 }),
        (parts, at, max) => {
          const bytes = Buffer.from(parts.join(''));
          const whole = split([bytes], max);
          const chunked = split(cut(bytes, at), max);
          // Pieces never split a character: each decodes to valid text.
          for (const l of chunked) {
            assert.ok(!l.line.includes('\uFFFD'));
            assert.ok(Buffer.byteLength(l.line) <= max);
          }
          // Joined back, the pieces give the lines of a plain split, whatever the chunking.
          const join = (ls: SplitLine[]): string[] => {
            const out: string[] = [];
            let acc = '';
            for (const l of ls) {
              acc += l.line;
              if (!l.partial) {
                out.push(acc);
                acc = '';
              }
            }
            return out;
          };
          // A CR is dropped only before an LF; a final line without LF keeps it.
          const reference = bytes.toString('utf8').split('\n');
          const last = reference.pop() as string;
          const expected = reference.map((r) => (r.endsWith('\r') ? r.slice(0, -1) : r));
          if (last !== '') expected.push(last);
          assert.deepEqual(join(chunked), expected);
          assert.deepEqual(join(whole), expected);
          assert.equal(chunked.at(-1)?.end ?? 0, bytes.length, 'offsets add up to every byte');
        },
      ),
      { numRuns: 500 },
    );
  });
});
