/** A service as every tool is asked to run it. */
export interface Svc {
  readonly name: string;
  readonly argv: readonly string[];
  /** Restart always with no delay (true), or never (false: a one-shot job). */
  readonly restart: boolean;
}

export interface Entry {
  readonly running: boolean;
  readonly pid: number;
}

/** What the bench needs from a supervisor; one instance per scenario, with its own temp home. */
export interface Tool {
  readonly name: ToolName;
  /** Writes the configuration of the services (and the daemon's, for supervisord). */
  prepare(svcs: readonly Svc[]): void;
  /** Starts the daemon alone (for warm runs). */
  startDaemon(): Promise<void>;
  /** Starts the services, spawning the daemon when it is not up; resolves when the tool says so. */
  up(): Promise<void>;
  /** The status listing (the timed command of workload 2), parsed. */
  status(): Promise<Map<string, Entry>>;
  /** Stops every service; resolves when the tool's command returns. */
  down(): Promise<void>;
  daemonPid(): number | undefined;
  /**
   * The daemon and every helper process it keeps for itself (harness: its spawn server): their
   * memory and CPU are the tool's footprint.
   */
  supervisorPids(): number[];
  /** Stops the daemon and everything it runs. */
  shutdown(): Promise<void>;
  /** The files the tool writes a service's output to (rotated ones included). */
  logFiles(service: string): string[];
}

export type ToolName = 'harness' | 'pm2' | 'supervisord';
export const TOOLS: readonly ToolName[] = ['harness', 'pm2', 'supervisord'];
