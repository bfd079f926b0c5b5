// The live progress view of `harness up` on a terminal, as pure functions: the services' states
// in (a model fed with the daemon's events), lines and ANSI strings out. Nothing here writes,
// reads a clock or sets a timer; `commands/up.ts` does that.
import type { InstanceInfo, ManagerEvent, ServiceSpec } from '@harness/service-orchestration';
import { colorizer, stateColor, visible } from './style.js';

/** What the view needs to know of one service of the stack being brought up. */
export interface ServicePlan {
  readonly name: string;
  readonly replicas: number;
  /** It has a readiness probe: `running` is not up yet, `healthy` is. */
  readonly readiness: boolean;
  /** A clean exit ends it for good (restart policy `never` or `on-failure`): `exited 0` is `completed`. */
  readonly oneShot: boolean;
}

/** The plan of a service from its orchestration spec. */
export function planOf(spec: Pick<ServiceSpec, 'name' | 'replicas' | 'readiness' | 'restart'>): ServicePlan {
  return {
    name: spec.name,
    replicas: Math.max(1, spec.replicas),
    readiness: spec.readiness !== undefined,
    oneShot: spec.restart.policy !== 'always',
  };
}

/** Where a row is: still in progress, up (running, healthy, completed), or not coming up. */
export type Phase = 'busy' | 'ok' | 'bad';

/** One row as shown: a service replica. */
export interface RowView {
  /** `api`, or `api.1` for a service with replicas. */
  readonly label: string;
  /** The state shown: the daemon's, or `pending` (nothing yet) or `completed` (a one-shot's clean exit). */
  readonly state: string;
  readonly phase: Phase;
  /** The mark: `ok` ✔, `bad` ✘, `spin` a spinner frame, `none` a dot (not part of the outcome). */
  readonly mark: 'ok' | 'bad' | 'spin' | 'none';
  readonly pid: number | undefined;
  /** Since `up` began, until the row settled; undefined when it was up before `up` changed anything. */
  readonly elapsedMs: number | undefined;
  /** Why: the failure, the dependency waited on, the exit that led to a backoff. */
  readonly detail: string | undefined;
}

/** The part of a `status` row the view reads. */
export type StatusRow = Pick<
  InstanceInfo,
  'service' | 'instance' | 'state' | 'reason' | 'code' | 'pid' | 'until'
>;

/** The part of `stack.up`'s outcome the view reads. */
export interface ServiceOutcome {
  readonly service: string;
  readonly ok: boolean;
  readonly reason?: string;
}

interface Row {
  readonly plan: ServicePlan;
  readonly instance: number;
  readonly label: string;
  state: string;
  code: number | null | undefined;
  reason: string | undefined;
  until: number | undefined;
  pid: number | undefined;
  /** An event or a snapshot has said something about it. */
  heard: boolean;
  /** It was up before this `up` did anything: no elapsed time to show. */
  already: boolean;
  /** When it last reached `ok` or `bad`; undefined while in progress. */
  doneAt: number | undefined;
  /** `stack.up`'s word on its service, once it answered. */
  verdict: boolean | undefined;
}

/**
 * The state of every row of the view, fed with the daemon's events and `status` snapshots.
 *
 * @example
 * const model = new ProgressModel([{ name: 'db', replicas: 1, readiness: true, oneShot: false }], Date.now());
 * model.apply(event, Date.now()); // true when something shown changed
 * renderProgress(model, { now: Date.now(), columns: 80, color: true });
 */
export class ProgressModel {
  readonly startedAt: number;
  readonly #rows: Row[] = [];
  #finished = false;

  constructor(plans: readonly ServicePlan[], startedAt: number) {
    this.startedAt = startedAt;
    const multi = plans.some((p) => p.replicas > 1);
    for (const plan of plans) {
      for (let instance = 0; instance < plan.replicas; instance++) {
        this.#rows.push({
          plan,
          instance,
          label: multi && plan.replicas > 1 ? `${plan.name}.${instance}` : plan.name,
          state: 'pending',
          code: undefined,
          reason: undefined,
          until: undefined,
          pid: undefined,
          heard: false,
          already: false,
          doneAt: undefined,
          verdict: undefined,
        });
      }
    }
  }

  /** Whether some row is still in progress (what keeps the spinner turning). */
  get busy(): boolean {
    return !this.#finished && this.#rows.some((r) => phaseOf(r) === 'busy');
  }

  /** Whether `stack.up` answered ({@link finish}). */
  get finished(): boolean {
    return this.#finished;
  }

  /** Takes in a daemon event; returns whether anything shown changed. */
  apply(event: ManagerEvent, now: number): boolean {
    const row = this.#row(event.service, event.instance);
    if (row === undefined || this.#finished) return false;
    switch (event.type) {
      case 'state':
        row.heard = true;
        row.already = false;
        this.#set(row, event, now);
        return true;
      case 'spawned':
        row.heard = true;
        row.pid = event.pid;
        return true;
      case 'exit':
        row.pid = undefined;
        return true;
      default:
        return false;
    }
  }

  /**
   * Takes in `status` rows. `initial` (before `up` answered): only rows no event has spoken of
   * yet, since an event is newer; a row already up then shows no elapsed time. `final` (once it
   * answered): every pid, and the state of rows still in progress, in case their last events
   * are still on the way. Returns whether anything shown changed.
   */
  snapshot(rows: readonly StatusRow[], now: number, when: 'initial' | 'final'): boolean {
    let changed = false;
    for (const s of rows) {
      const row = this.#row(s.service, s.instance);
      if (row === undefined) continue;
      if (when === 'initial' && row.heard) continue;
      changed = true;
      row.pid = s.pid;
      if (when === 'final' && phaseOf(row) !== 'busy') continue;
      this.#set(row, s, now);
      if (when === 'initial') {
        row.heard = true;
        row.already = phaseOf(row) === 'ok';
      }
    }
    return changed;
  }

  /** Takes in `stack.up`'s outcome: each row's mark is now its service's verdict. */
  finish(outcome: readonly ServiceOutcome[], now: number): void {
    for (const row of this.#rows) {
      const o = outcome.find((s) => s.service === row.plan.name);
      if (o === undefined) continue;
      row.verdict = o.ok;
      if (!o.ok && row.reason === undefined && o.reason !== undefined) row.reason = o.reason;
      row.doneAt ??= now;
    }
    this.#finished = true;
  }

  /** The rows as shown at `now`. */
  rows(now: number): RowView[] {
    return this.#rows.map((r) => {
      const phase = phaseOf(r);
      const mark =
        r.verdict === true
          ? 'ok'
          : r.verdict === false
            ? 'bad'
            : phase === 'busy'
              ? this.#finished
                ? 'none'
                : 'spin'
              : phase;
      return {
        label: r.label,
        state: shownState(r, phase),
        phase,
        mark,
        pid: r.pid,
        elapsedMs: r.already ? undefined : (r.doneAt ?? now) - this.startedAt,
        detail: detailOf(r, phase, now),
      };
    });
  }

  #row(service: string, instance: number): Row | undefined {
    return this.#rows.find((r) => r.plan.name === service && r.instance === instance);
  }

  #set(
    row: Row,
    s: {
      state: string;
      reason?: string | undefined;
      code?: number | null | undefined;
      until?: number | undefined;
    },
    now: number,
  ): void {
    const before = phaseOf(row);
    row.state = s.state;
    row.reason = s.reason;
    row.code = s.code;
    row.until = s.until;
    const after = phaseOf(row);
    if (after === 'busy') row.doneAt = undefined;
    else if (before === 'busy' || row.doneAt === undefined) row.doneAt = now;
  }
}

function phaseOf(r: Pick<Row, 'state' | 'code' | 'reason' | 'plan'>): Phase {
  switch (r.state) {
    case 'healthy':
      return 'ok';
    case 'running':
      return r.plan.readiness ? 'busy' : 'ok';
    case 'exited':
      return r.plan.oneShot && r.code === 0 ? 'ok' : 'busy';
    case 'failed':
      return 'bad';
    case 'stopped':
      // Held back with a reason: a dependency failed. Without one: not started yet.
      return r.reason !== undefined ? 'bad' : 'busy';
    default:
      return 'busy';
  }
}

function shownState(r: Row, phase: Phase): string {
  if (r.state === 'exited' && phase === 'ok') return 'completed';
  if (r.state === 'stopped' && phase === 'busy') return 'pending';
  return r.state;
}

function detailOf(r: Row, phase: Phase, now: number): string | undefined {
  if (phase === 'ok' && r.verdict !== false) return undefined;
  if (r.state === 'running' && phase === 'busy') return r.reason ?? 'waiting for readiness';
  if (r.state === 'backoff' && r.until !== undefined && r.verdict === undefined) {
    const next = `restarts in ${formatElapsed(Math.max(0, r.until - now))}`;
    return r.reason === undefined ? next : `${r.reason}; ${next}`;
  }
  return r.reason;
}

/** Options of {@link renderProgress}. */
export interface RenderOptions {
  readonly now: number;
  /** The terminal's width: every line is cut to one less, so none wraps. */
  readonly columns: number;
  readonly color: boolean;
}

/** The spinner's frames, one per 100 ms. */
export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

const STATE_WIDTH = 9; // `completed`, `unhealthy`
const TIME_WIDTH = 6;
const PID_WIDTH = 7;

/**
 * The view's lines at `now`: a header, then one row per service replica — mark (spinner while in
 * progress, ✔ up, ✘ not coming up), name, coloured state, elapsed time, pid, and why. No line is
 * wider than `columns - 1` (cut with `…`).
 *
 * @example
 * renderProgress(model, { now: Date.now(), columns: process.stderr.columns, color: true }).join('\n')
 */
export function renderProgress(model: ProgressModel, o: RenderOptions): string[] {
  const paint = colorizer(o.color);
  const rows = model.rows(o.now);
  const name = Math.max(7, ...rows.map((r) => r.label.length));
  const spin = SPINNER[Math.floor(Math.max(0, o.now - model.startedAt) / 100) % SPINNER.length] as string;
  const header = paint(
    'gray',
    `  ${'SERVICE'.padEnd(name)}  ${'STATE'.padEnd(STATE_WIDTH)}  ${'TIME'.padStart(TIME_WIDTH)}  PID`,
  );
  const lines = [truncate(header, o.columns - 1)];
  for (const r of rows) {
    const mark =
      r.mark === 'ok'
        ? paint('green', '✔')
        : r.mark === 'bad'
          ? paint('red', '✘')
          : r.mark === 'spin'
            ? paint('cyan', spin)
            : paint('gray', '·');
    const state = paint(stateColor(r.state), r.state) + ' '.repeat(Math.max(0, STATE_WIDTH - r.state.length));
    const time = (r.elapsedMs === undefined ? '-' : formatElapsed(r.elapsedMs)).padStart(TIME_WIDTH);
    const pid = (r.pid === undefined ? '-' : String(r.pid)).padEnd(PID_WIDTH);
    const detail =
      r.detail === undefined ? '' : paint(r.phase === 'bad' || r.mark === 'bad' ? 'red' : 'gray', r.detail);
    const line = `${mark} ${r.label.padEnd(name)}  ${state}  ${time}  ${pid}  ${detail}`;
    lines.push(truncate(line.trimEnd(), o.columns - 1));
  }
  return lines;
}

/** `0.4s`, `12.3s`, `1m05s`, `2h03m`: tenths while under a minute, so progress shows. */
export function formatElapsed(ms: number): string {
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const ESC = '\u001b';
const CSI = `${ESC}[`;
/** Hides the cursor while the view redraws. */
export const HIDE_CURSOR = `${CSI}?25l`;
/** Shows it again: on the way out, whatever the way. */
export const SHOW_CURSOR = `${CSI}?25h`;
/** Erases the whole line the cursor is on. */
export const ERASE_LINE = `${CSI}2K`;
/** Erases from the cursor to the end of the screen (what is below the view, not above it). */
export const ERASE_DOWN = `${CSI}J`;
const RESET = `${CSI}0m`;
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, 'y');

/** Moves the cursor up `n` lines (nothing for 0). */
export function cursorUp(n: number): string {
  return n > 0 ? `${CSI}${n}A` : '';
}

/** How many columns a line takes on the terminal (code points; the view's text is narrow). */
export function visibleWidth(line: string): number {
  let n = 0;
  for (const _ of visible(line)) n++;
  return n;
}

/**
 * Cuts a line to `width` visible columns, ending it with `…` when cut; colour codes are kept
 * whole and a colour cut open is reset.
 */
export function truncate(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  if (width <= 0) return '';
  let out = '';
  let shown = 0;
  let open = false;
  let i = 0;
  while (i < line.length) {
    SGR.lastIndex = i;
    const code = SGR.exec(line);
    if (code !== null) {
      out += code[0];
      open = code[0] !== RESET;
      i += code[0].length;
      continue;
    }
    if (shown === width - 1) {
      out += '…';
      break;
    }
    const ch = String.fromCodePoint(line.codePointAt(i) as number);
    out += ch;
    shown++;
    i += ch.length;
  }
  return open ? out + RESET : out;
}

/**
 * What to write to turn the frame on screen into the next one, the cursor being at the start of
 * the line below the frame (and left there again): up to the first line that changed, then each
 * line from there erased and written, then what is left of a longer old frame erased. The lines
 * above the view are never touched. `columns` counts the screen rows an old line takes if the
 * terminal re-wrapped it after a resize; `redrawAll` rewrites every line (after a resize).
 *
 * @example
 * out.write(frameUpdate(shown, next, out.columns)); shown = next;
 */
export function frameUpdate(
  previous: readonly string[],
  next: readonly string[],
  columns: number,
  redrawAll = false,
): string {
  let first = 0;
  if (!redrawAll) {
    while (first < previous.length && first < next.length && previous[first] === next[first]) first++;
    if (first === previous.length && first === next.length) return '';
  }
  let up = 0;
  for (let i = first; i < previous.length; i++) {
    up += Math.max(1, Math.ceil(visibleWidth(previous[i] as string) / Math.max(1, columns)));
  }
  let out = `${cursorUp(up)}\r`;
  for (let i = first; i < next.length; i++) out += `${ERASE_LINE}${next[i]}\n`;
  if (next.length - first < up) out += ERASE_DOWN;
  return out;
}
