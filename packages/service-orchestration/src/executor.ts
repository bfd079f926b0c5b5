import type {
  ExitStatus,
  ProcessEvent,
  ProcStat,
  SharedEventStream,
  StopOptions,
} from '@harness/command-executor';
import type { ServiceSpec } from './spec.js';

/** What must survive the supervisor to find a running instance again. */
export interface InstanceRecord {
  readonly kind: string;
  readonly pid: number;
  readonly startTime: number;
  readonly cgroup?: string | undefined;
  readonly logFile: string;
  /** Byte offset in the log file up to which lines were seen. */
  readonly offset: number;
  readonly startedAt: number;
  /** Whether its output is read back as lines (default true, for records that do not say). */
  readonly follow?: boolean;
}

/** A started (or adopted) instance, whatever runs it. */
export interface RunningInstance {
  readonly pid: number | undefined;
  /** Process start time in clock ticks after boot: with the pid, it names the process for good. */
  readonly startTime: number | undefined;
  /** Output lines (from the log file, with offsets). */
  readonly events: SharedEventStream<ProcessEvent>;
  readonly adopted: boolean;
  /** Resolves when the instance has ended (code null when unknown). */
  wait(): Promise<ExitStatus>;
  /** Stops the whole tree and resolves when it is gone. */
  stop(options: StopOptions): Promise<void>;
  /** The live processes of the instance. */
  processes(): ProcStat[];
  /** What to persist to adopt it later. */
  record(): InstanceRecord;
  /** Stops following output; the instance keeps running. */
  detach(): Promise<void>;
}

/** What an executor gets to start one instance. */
export interface StartContext {
  readonly stack: string;
  readonly spec: ServiceSpec;
  readonly index: number;
  readonly logFile: string;
}

/**
 * Runs instances of one kind of target. `ProcessExecutor` runs local processes; Docker and SSH
 * executors plug in through the same seam.
 */
export interface ServiceExecutor {
  readonly kind: string;
  start(context: StartContext): Promise<RunningInstance>;
  /** Finds a recorded instance again; undefined when it is gone (or its pid now is another's). */
  adopt(record: InstanceRecord): Promise<RunningInstance | undefined>;
}

/**
 * Whether the instance's output must be read back as lines: only a `log` probe needs them.
 * Otherwise nothing reads the log file behind the process — it writes there directly — so a
 * fast writer costs the supervisor nothing, and its end is known the moment it exits.
 */
export function readsOutput(spec: ServiceSpec): boolean {
  return spec.readiness?.kind === 'log' || spec.liveness?.kind === 'log';
}
