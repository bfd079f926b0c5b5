/** The lifecycle states of a service instance. */
export type StateName =
  | 'stopped'
  | 'waiting'
  | 'starting'
  | 'running'
  | 'healthy'
  | 'unhealthy'
  | 'stopping'
  | 'exited'
  | 'backoff'
  | 'failed';

/** An instance's state with what explains it. */
export interface InstanceStatus {
  readonly state: StateName;
  /** Why: the failed dependency, the backoff's cause, the failure, the dependencies waited on. */
  readonly reason?: string;
  /** For `exited`: the code (null when a signal ended it, or unknown for an adopted process). */
  readonly code?: number | null;
  readonly signal?: NodeJS.Signals | null;
  /** For `backoff`: when the next attempt starts (ms since the epoch). */
  readonly until?: number;
}

interface Base {
  readonly time: number;
  readonly stack: string;
  readonly service: string;
  /** Replica index, 0-based. */
  readonly instance: number;
}

/** Everything the manager reports, as a typed union on `type`. */
export type ManagerEvent =
  | (Base & { readonly type: 'state'; readonly previous: StateName } & InstanceStatus)
  | (Base & {
      readonly type: 'health';
      readonly probe: 'readiness' | 'liveness';
      readonly ok: boolean;
      readonly message: string;
      readonly durationMs: number;
    })
  | (Base & { readonly type: 'spawned'; readonly pid: number | undefined; readonly adopted: boolean })
  | (Base & {
      readonly type: 'exit';
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly ranMs: number;
    })
  | (Base & {
      readonly type: 'restart';
      readonly attempt: number;
      readonly delayMs: number;
      readonly reason: string;
    })
  | (Base & {
      readonly type: 'stop-waiting';
      /** The processes the stop still waits on. */
      readonly processes: readonly { readonly pid: number; readonly comm: string }[];
    });

/** Counters of one service (all its instances), for status and metrics. */
export interface ServiceCounters {
  restarts: number;
  spawned: number;
  terminated: number;
  breakerTrips: number;
}
