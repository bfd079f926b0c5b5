import { closeSync, fstatSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { CommandError } from './errors.js';
import type { ProcessEvent } from './events.js';
import { FileFollower } from './file-follower.js';
import { LineSplitter } from './line-splitter.js';
import type { LogFiles } from './process-handle.js';
import type { SharedEventStream } from './shared-event-stream.js';

/*
 * Where the lines of a launched process come from: its pipes, or the log files it writes to
 * (opened by us in append mode, handed to it, and followed).
 */

export interface OpenLogFiles {
  readonly out: number;
  readonly err: number;
  /** Sizes when opened: followers start there, so no line written after spawn is missed. */
  readonly outStart: number;
  readonly errStart: number;
}

export function openLogFiles(program: string, logFiles: LogFiles): OpenLogFiles {
  const open = (path: string): number => {
    try {
      return openSync(path, 'a', 0o640);
    } catch (e) {
      throw new CommandError(
        'LOG_FILE',
        `cannot open log file ${path} for ${program}: ${(e as Error).message}`,
        {
          program,
          cause: e,
        },
      );
    }
  };
  const out = open(logFiles.stdout);
  const outStart = fstatSync(out).size;
  if (logFiles.stderr === undefined || logFiles.stderr === logFiles.stdout) {
    return { out, err: out, outStart, errStart: outStart };
  }
  try {
    const err = open(logFiles.stderr);
    return { out, err, outStart, errStart: fstatSync(err).size };
  } catch (e) {
    closeSync(out);
    throw e;
  }
}

export async function followLogFiles(
  logFiles: LogFiles,
  start: OpenLogFiles,
  events: SharedEventStream<ProcessEvent>,
  maxLineLength: number,
): Promise<[FileFollower, ...FileFollower[]]> {
  const onLine = (e: ProcessEvent): void => events.push(e);
  const out = new FileFollower(logFiles.stdout, {
    stream: 'stdout',
    from: start.outStart,
    maxLineLength,
    onLine,
  });
  await out.start();
  if (logFiles.stderr === undefined || logFiles.stderr === logFiles.stdout) return [out];
  const err = new FileFollower(logFiles.stderr, {
    stream: 'stderr',
    from: start.errStart,
    maxLineLength,
    onLine,
  });
  await err.start();
  return [out, err];
}

export function pipeLines(
  stream: Readable | null,
  type: 'stdout' | 'stderr',
  events: SharedEventStream<ProcessEvent>,
  maxLineLength: number,
  activity: { last: number },
): Promise<void> {
  if (stream === null) return Promise.resolve();
  const splitter = new LineSplitter(maxLineLength);
  const give = (lines: ReturnType<LineSplitter['push']>): void => {
    const time = Date.now();
    for (const l of lines) {
      events.push(l.partial ? { type, time, line: l.line, partial: true } : { type, time, line: l.line });
    }
  };
  stream.on('data', (chunk: Buffer) => {
    activity.last = Date.now();
    give(splitter.push(chunk));
  });
  // Our end destroyed (run() letting go of pipes a grandchild holds) or a read error: 'close' follows.
  stream.on('error', () => undefined);
  return new Promise((resolve) => {
    stream.once('close', () => {
      give(splitter.flush());
      resolve();
    });
  });
}

/** Closes our copies of the log file descriptors (the child has its own). */
export function closeLogFiles(fds: OpenLogFiles): void {
  closeSync(fds.out);
  if (fds.err !== fds.out) closeSync(fds.err);
}
