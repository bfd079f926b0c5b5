import type { EventReader, LocalLauncher, ProcessEvent, SharedEventStream } from '@harness/command-executor';
import { type ActiveProbe, type ProbeResult, runProbe } from './probes.js';
import type { ProbeSpec } from './spec.js';

/** What the monitor tells its instance. */
export interface HealthCallbacks {
  onResult(probe: 'readiness' | 'liveness', result: ProbeResult): void;
  /** Readiness passed (the first time, or again after it failed). */
  onReady(): void;
  /** Readiness failed `retries` times in a row after the start period. */
  onUnready(reason: string): void;
  /** Liveness failed `retries` times in a row: the instance should be restarted. */
  onLivenessFailed(reason: string): void;
}

/** The first readiness retries come this fast, doubling up to the probe's interval. */
export const FIRST_RETRY_MS = 5;

/**
 * Runs the readiness and liveness probes of one running instance. The first readiness probe
 * runs at once and retries fast (5 ms, doubling up to the interval), so a dependency edge costs
 * milliseconds, not an interval. Liveness acts only once readiness has passed (or, without a
 * readiness probe, after the start period), so a slow starter is never killed for being slow.
 */
export class HealthMonitor {
  readonly #readiness: ProbeSpec | undefined;
  readonly #liveness: ProbeSpec | undefined;
  readonly #launcher: LocalLauncher;
  readonly #output: SharedEventStream<ProcessEvent> | undefined;
  readonly #cb: HealthCallbacks;
  readonly #startedAt: number;
  #stopped = false;
  #timers = new Set<NodeJS.Timeout>();
  #reader: EventReader<ProcessEvent> | undefined;
  #livenessStarted = false;

  constructor(init: {
    readiness?: ProbeSpec | undefined;
    liveness?: ProbeSpec | undefined;
    launcher: LocalLauncher;
    output: SharedEventStream<ProcessEvent> | undefined;
    callbacks: HealthCallbacks;
    startedAt: number;
  }) {
    this.#readiness = init.readiness;
    this.#liveness = init.liveness;
    this.#launcher = init.launcher;
    this.#output = init.output;
    this.#cb = init.callbacks;
    this.#startedAt = init.startedAt;
  }

  start(): void {
    const r = this.#readiness;
    if (r === undefined) {
      this.#later(() => this.#startLiveness(), this.#liveness?.startPeriodMs ?? 0);
      return;
    }
    if (r.kind === 'log') this.#watchLog(r.pattern);
    else void this.#readinessLoop(r);
    if (r.startPeriodMs > 0) this.#later(() => this.#startLiveness(), r.startPeriodMs);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    void this.#reader?.return();
  }

  #later(fn: () => void, ms: number): void {
    if (this.#stopped) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#stopped) fn();
    }, ms);
    this.#timers.add(t);
  }

  #inStartPeriod(spec: ProbeSpec): boolean {
    return Date.now() - this.#startedAt < spec.startPeriodMs;
  }

  async #readinessLoop(spec: ActiveProbe): Promise<void> {
    let failures = 0;
    let fastStep = 0;
    let passedOnce = false;
    let healthy = false;
    let toldUnready = false;
    const attempt = async (): Promise<void> => {
      const result = await runProbe(spec, this.#launcher);
      if (this.#stopped) return;
      this.#cb.onResult('readiness', result);
      if (result.ok) {
        failures = 0;
        if (!healthy) {
          healthy = true;
          passedOnce = true;
          this.#cb.onReady();
          this.#startLiveness();
        }
        this.#later(attempt, spec.intervalMs);
        return;
      }
      if (passedOnce) {
        if (!this.#inStartPeriod(spec)) failures++;
        if (healthy && failures >= spec.retries) {
          healthy = false;
          this.#cb.onUnready(result.message);
        }
      } else if (
        !toldUnready &&
        Date.now() - this.#startedAt >= spec.startPeriodMs + spec.retries * spec.intervalMs
      ) {
        // Never ready yet: the fast first retries do not count against it; only once the time
        // the user allowed (start period + retries × interval) is spent is it called unhealthy.
        toldUnready = true;
        this.#cb.onUnready(result.message);
      }
      const delay = passedOnce
        ? spec.intervalMs
        : Math.min(spec.intervalMs, FIRST_RETRY_MS * 2 ** fastStep++);
      this.#later(attempt, delay);
    };
    await attempt();
  }

  #watchLog(pattern: string): void {
    const output = this.#output;
    if (output === undefined) return;
    const re = new RegExp(pattern);
    const reader = output.subscribe({ replay: Number.MAX_SAFE_INTEGER });
    this.#reader = reader;
    void (async () => {
      for await (const e of reader) {
        if ((e.type === 'stdout' || e.type === 'stderr') && re.test(e.line)) {
          this.#cb.onResult('readiness', {
            ok: true,
            message: `log matched /${pattern}/: ${e.line}`,
            durationMs: 0,
          });
          this.#cb.onReady();
          this.#startLiveness();
          await reader.return();
          return;
        }
      }
    })();
  }

  #startLiveness(): void {
    const spec = this.#liveness;
    if (spec === undefined || this.#livenessStarted || this.#stopped || spec.kind === 'log') return;
    this.#livenessStarted = true;
    let failures = 0;
    const attempt = async (): Promise<void> => {
      const result = await runProbe(spec, this.#launcher);
      if (this.#stopped) return;
      this.#cb.onResult('liveness', result);
      failures = result.ok ? 0 : failures + 1;
      if (failures >= spec.retries) {
        this.#cb.onLivenessFailed(result.message);
        return;
      }
      this.#later(attempt, spec.intervalMs);
    };
    this.#later(attempt, spec.intervalMs);
  }
}
