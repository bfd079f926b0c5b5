import assert from 'node:assert/strict';
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileFollower, type OutputEvent } from '../src/index.js';
import { scratch } from './fixtures-proc/helpers.js';

/** A follower that collects its events; `until(n)` resolves once it has n of them. */
function collecting(path: string, from?: number | 'start' | 'end') {
  const got: OutputEvent[] = [];
  let want = Number.POSITIVE_INFINITY;
  let wake: (() => void) | undefined;
  const follower = new FileFollower(path, {
    stream: 'stdout',
    ...(from === undefined ? {} : { from }),
    onLine: (e) => {
      got.push(e);
      if (got.length >= want) wake?.();
    },
  });
  const until = (n: number): Promise<void> => {
    if (got.length >= n) return Promise.resolve();
    want = n;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} lines`)), 10_000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  };
  return { follower, got, until };
}

describe('FileFollower', { timeout: 30_000 }, () => {
  it('gives lines already there (from start) and new ones as they are written, with offsets', async (t) => {
    const file = join(scratch(t), 'out.log');
    writeFileSync(file, 'one\ntwo\n');
    const { follower, got, until } = collecting(file, 'start');
    await follower.start();
    appendFileSync(file, 'three\r\nfour');
    await until(3);
    await follower.close({ final: true });
    assert.deepEqual(
      got.map((e) => [e.type, e.line, e.offset]),
      [
        ['stdout', 'one', 4],
        ['stdout', 'two', 8],
        ['stdout', 'three', 15],
        ['stdout', 'four', 19],
      ],
    );
  });

  it('starts at the end by default: only new lines', async (t) => {
    const file = join(scratch(t), 'out.log');
    writeFileSync(file, 'old\n');
    const { follower, got, until } = collecting(file);
    await follower.start();
    appendFileSync(file, 'new\n');
    await until(1);
    await follower.close();
    assert.deepEqual(
      got.map((e) => e.line),
      ['new'],
    );
  });

  it('resumes from an offset: every line exactly once across a close and a new follower', async (t) => {
    const file = join(scratch(t), 'out.log');
    writeFileSync(file, '');
    const first = collecting(file, 'start');
    await first.follower.start();
    for (let i = 0; i < 500; i++) appendFileSync(file, `line ${i}\n`);
    appendFileSync(file, 'half a li'); // not a line yet: the offset stays before it
    await first.until(500);
    await first.follower.close();
    const offset = first.follower.offset;
    assert.equal(offset, first.got.at(-1)?.offset);

    appendFileSync(file, 'ne\n');
    for (let i = 500; i < 1000; i++) appendFileSync(file, `line ${i}\n`);
    const second = collecting(file, offset);
    await second.follower.start();
    await second.until(501);
    await second.follower.close();
    const all = [...first.got, ...second.got].map((e) => e.line);
    const expected = [
      ...Array.from({ length: 500 }, (_, i) => `line ${i}`),
      'half a line',
      ...Array.from({ length: 500 }, (_, i) => `line ${i + 500}`),
    ];
    assert.deepEqual(all, expected);
  });

  it('starts again from 0 when the file is truncated (copy-truncate rotation)', async (t) => {
    const file = join(scratch(t), 'out.log');
    writeFileSync(file, 'before rotation 1\nbefore rotation 2\n');
    const { follower, got, until } = collecting(file, 'start');
    await follower.start();
    await until(2);
    truncateSync(file, 0);
    appendFileSync(file, 'after\n');
    await until(3);
    await follower.close();
    assert.deepEqual(
      got.map((e) => [e.line, e.offset]),
      [
        ['before rotation 1', 18],
        ['before rotation 2', 36],
        ['after', 6],
      ],
    );
    assert.equal(follower.offset, 6);
  });

  it('a resume offset past the end of a truncated file starts from 0', async (t) => {
    const file = join(scratch(t), 'out.log');
    writeFileSync(file, 'new\n');
    const { follower, got, until } = collecting(file, 1000);
    await follower.start();
    await until(1);
    await follower.close();
    assert.deepEqual(
      got.map((e) => e.line),
      ['new'],
    );
  });

  it('cuts long lines into partial pieces with offsets', async (t) => {
    const file = join(scratch(t), 'out.log');
    writeFileSync(file, `${'x'.repeat(10)}\n`);
    const got: OutputEvent[] = [];
    const f = new FileFollower(file, {
      stream: 'stderr',
      from: 'start',
      maxLineLength: 4,
      onLine: (e) => got.push(e),
    });
    await f.start();
    await f.close();
    assert.deepEqual(
      got.map((e) => [e.type, e.line, e.partial ?? false, e.offset]),
      [
        ['stderr', 'xxxx', true, 4],
        ['stderr', 'xxxx', true, 8],
        ['stderr', 'xx', false, 11],
      ],
    );
  });
});
