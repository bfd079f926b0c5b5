/**
 * Shared pieces of the tests against real remote components (ssh.test.ts, docker.test.ts): ssh
 * options for a fixture host, one multiplexed ssh connection, a remote argv printer and
 * generators of hostile argument vectors.
 */
import { join } from 'node:path';
import type { SshHost } from '@harness/test-fixtures';
import { execa } from 'execa';
import fc from 'fast-check';
import { Command, type SshLayerOptions } from '../src/index.js';

/** SshLayer options for a fixture host; with `controlPath`, sessions reuse one connection. */
export function sshOptions(host: SshHost, controlPath?: string): SshLayerOptions {
  return {
    host: host.address,
    port: host.port,
    user: host.user,
    identityFile: host.identityFile,
    connectTimeout: 5,
    options: {
      ...host.knownHostsOptions,
      ...(controlPath === undefined ? {} : { ControlMaster: 'no', ControlPath: controlPath }),
    },
  };
}

/** One long-lived ssh master connection that later `ssh -o ControlPath=…` sessions reuse. */
export interface ControlMaster {
  readonly controlPath: string;
  close(): Promise<void>;
}

/**
 * Opens a master connection with plain execa, outside any launcher: a launcher stops every
 * process a run started, which would take a master forked by `ControlMaster=auto` with it.
 */
export async function openControlMaster(host: SshHost): Promise<ControlMaster> {
  const controlPath = join(host.dir, 'cm.sock');
  const common = [
    '-i',
    host.identityFile,
    '-o',
    'BatchMode=yes',
    ...Object.entries(host.knownHostsOptions).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
    '-o',
    `ControlPath=${controlPath}`,
    '-l',
    host.user,
  ];
  // -f: go to the background once logged in; -N: no remote command. ssh points the background
  // master's stdio at /dev/null, so this returns as soon as the socket exists.
  await execa('ssh', ['-M', '-N', '-f', '-o', 'ControlPersist=yes', ...common, host.address], {
    stdin: 'ignore',
  });
  return {
    controlPath,
    close: async () => {
      await execa('ssh', ['-O', 'exit', ...common, host.address], { stdin: 'ignore', reject: false });
    },
  };
}

/**
 * A command that prints its arguments unambiguously: each one followed by a NUL, as hex bytes
 * (`od`), so newlines, NULs and invalid text cannot blur the boundaries.
 */
export function argvPrinter(args: readonly string[]): Command {
  return Command.of(
    'sh',
    '-c',
    '[ "$#" -eq 0 ] || printf "%s\\0" "$@" | od -An -tx1 -v',
    'argv-printer',
    ...args,
  );
}

/** Reads back what {@link argvPrinter} printed, as the raw bytes of each argument. */
export function decodeArgv(lines: readonly string[]): Buffer[] {
  const hex = lines.join(' ').trim();
  const bytes =
    hex === '' ? Buffer.alloc(0) : Buffer.from(hex.split(/\s+/).map((h) => Number.parseInt(h, 16)));
  const args: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      args.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return args;
}

/** The bytes each argument should arrive as. */
export function encodeArgv(args: readonly string[]): Buffer[] {
  return args.map((a) => Buffer.from(a, 'utf8'));
}

const NASTY = [
  ' ',
  "'",
  '"',
  '$',
  '`',
  '\\',
  '\n',
  '\t',
  '*',
  '~',
  '-',
  '--',
  '$(id)',
  '$' + '{HOME}',
  '!',
  '#',
  ';',
  '&',
  '|',
  '<',
  '>',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '?',
  '=',
  '%',
  '\r',
  'é',
  'ß',
  '日本',
  '😀',
  '\u200b',
  '\u00a0',
  'a',
  'Z',
  '0',
];

/** One argument: pieces of shell syntax, whitespace, unicode (no NUL, no lone surrogate). */
export const nastyArg: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('-n', '-e', '--', '-', '~', '~root', '*', '$HOME', "'", '"') },
  {
    weight: 6,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'grapheme', maxLength: 3 })), {
        maxLength: 8,
      })
      .map((parts) => parts.join('').replaceAll('\0', '')),
  },
);

/** An argument vector of up to `maxLength` hostile arguments. */
export function nastyArgv(maxLength = 6): fc.Arbitrary<string[]> {
  return fc.array(nastyArg, { maxLength });
}

/** One argument vector that did not arrive as sent. */
export interface RoundTripFailure {
  readonly sent: readonly string[];
  readonly detail: string;
}

/**
 * Sends every vector through `send` (at most `concurrency` at a time: each remote session costs
 * about a tenth of a second of waiting, little CPU) and returns those that came back different.
 */
export async function roundTripAll(
  vectors: readonly (readonly string[])[],
  send: (args: readonly string[]) => Promise<{ code: number | null; stdout: string[]; stderr: string[] }>,
  concurrency: number,
): Promise<RoundTripFailure[]> {
  const failures: RoundTripFailure[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < vectors.length; i = next++) {
      const sent = vectors[i] ?? [];
      const r = await send(sent);
      const got = decodeArgv(r.stdout);
      const want = encodeArgv(sent);
      if (
        r.code !== 0 ||
        got.length !== want.length ||
        got.some((b, j) => !b.equals(want[j] ?? Buffer.alloc(0)))
      ) {
        failures.push({
          sent,
          detail: `exit ${r.code}, got ${JSON.stringify(got.map((b) => b.toString('utf8')))}, stderr ${JSON.stringify(r.stderr)}`,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
}
