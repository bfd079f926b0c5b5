import type { RestartSpec } from './spec.js';

/** What the supervisor remembers of a service's past runs. */
export interface RunHistory {
  /** Restarts since the last reset (a stable run resets it). */
  readonly restarts: number;
  /** Times (ms) of recent failures, for the circuit breaker. */
  readonly failures: readonly number[];
}

/** How a run ended: an exit code, a signal, or unknown (an adopted process). */
export interface RunEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** How long it ran (ms). */
  readonly ranMs: number;
  /** Ended because a liveness probe failed (counts as a failure). */
  readonly unhealthy?: boolean;
}

/** The supervisor's decision. */
export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly history: RunHistory }
  | { readonly action: 'complete'; readonly history: RunHistory }
  | {
      readonly action: 'fail';
      readonly reason: string;
      readonly breakerTripped: boolean;
      readonly history: RunHistory;
    };

/** Whether a run ended in failure: a non-zero code, a signal, an unknown end, or unhealthy. */
export function isFailure(end: RunEnd): boolean {
  return end.unhealthy === true || end.code !== 0;
}

/**
 * The delay before restart number `attempt` (0-based): `initial × factor^attempt`, capped at
 * `max`, spread by ±`jitter` using `random` (0..1).
 */
export function backoffDelay(spec: RestartSpec['backoff'], attempt: number, random: number): number {
  const base = Math.min(spec.maxMs, spec.initialMs * spec.factor ** attempt);
  const spread = base * spec.jitter * (random * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

/**
 * Decides what follows the end of a run — a pure function of the policy, the history and the
 * end, so it is tested with tables.
 *
 * @example
 * decideRestart(spec, { restarts: 0, failures: [] }, { code: 1, signal: null, ranMs: 5 }, Date.now(), Math.random())
 * // => { action: 'restart', delayMs: ~100, history: { restarts: 1, failures: [now] } }
 */
export function decideRestart(
  spec: RestartSpec,
  history: RunHistory,
  end: RunEnd,
  now: number,
  random: number,
): RestartDecision {
  const failed = isFailure(end);
  const stable = end.ranMs >= spec.resetAfterMs;
  const restarts = stable ? 0 : history.restarts;
  const windowStart = now - spec.breaker.windowMs;
  const failures = [...history.failures.filter((t) => t > windowStart), ...(failed ? [now] : [])];
  const kept: RunHistory = { restarts, failures };

  if (spec.policy === 'never' || (spec.policy === 'on-failure' && !failed)) {
    return failed
      ? { action: 'fail', reason: describeEnd(end), breakerTripped: false, history: kept }
      : { action: 'complete', history: kept };
  }
  if (failed && failures.length >= spec.breaker.failures) {
    return {
      action: 'fail',
      reason: `circuit breaker: ${failures.length} failures within ${spec.breaker.windowMs} ms (last: ${describeEnd(end)})`,
      breakerTripped: true,
      history: kept,
    };
  }
  if (restarts >= spec.maxRestarts) {
    return {
      action: 'fail',
      reason: `gave up after ${restarts} restarts (last: ${describeEnd(end)})`,
      breakerTripped: false,
      history: kept,
    };
  }
  return {
    action: 'restart',
    delayMs: backoffDelay(spec.backoff, restarts, random),
    history: { restarts: restarts + 1, failures },
  };
}

/** `exit code 3`, `killed by SIGKILL`, `exit code unknown (adopted)`, `liveness probe failed`. */
export function describeEnd(end: Pick<RunEnd, 'code' | 'signal' | 'unhealthy'>): string {
  if (end.unhealthy) return 'liveness probe failed';
  if (end.signal !== null) return `killed by ${end.signal}`;
  if (end.code === null) return 'exit code unknown (adopted)';
  return `exit code ${end.code}`;
}
