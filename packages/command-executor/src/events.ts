/**
 * Typed, timestamped events of one process. `time` is milliseconds since the epoch.
 * Output lines come without their line ending; a line longer than the launcher's
 * `maxLineLength` arrives in pieces, each but the last marked `partial: true`.
 * Lines read from a log file carry `offset`: the byte offset just past the line in that file,
 * so a reader can resume exactly where it stopped.
 */
export type ProcessEvent =
  | { readonly type: 'started'; readonly time: number; readonly pid: number }
  | OutputEvent
  | {
      readonly type: 'exit';
      readonly time: number;
      /** Exit code, or null when a signal ended the process or the code is unknown (attached). */
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
    }
  | { readonly type: 'error'; readonly time: number; readonly code: string; readonly message: string };

/** A line of standard output or standard error. */
export interface OutputEvent {
  readonly type: 'stdout' | 'stderr';
  readonly time: number;
  readonly line: string;
  readonly partial?: true;
  readonly offset?: number;
}

/** Given to a reader in place of events it was too slow to take: `dropped` of them are lost to it. */
export interface LaggedEvent {
  readonly type: 'lagged';
  readonly time: number;
  readonly dropped: number;
}

/** How a process ended. `code` is null when a signal ended it, or when it is unknown. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}
