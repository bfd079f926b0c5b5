import { isLagged } from '@harness/protocol';
import type { UpOutcome } from '@harness/service-orchestration';
import type { CliContext, Output } from '../context.js';
import { connect } from '../daemon-client.js';
import { loadStack } from '../load-stack.js';
import {
  frameUpdate,
  HIDE_CURSOR,
  ProgressModel,
  planOf,
  renderProgress,
  SHOW_CURSOR,
  type StatusRow,
} from '../progress-view.js';
import { type StackRequest, toStackRequest } from '../stack-spec.js';
import { painter, stateColor } from '../style.js';
import { printLogs } from './logs.js';

/** Options of `harness up`. */
export interface UpOptions {
  readonly file?: string;
  readonly detach?: boolean;
}

type Client = Awaited<ReturnType<typeof connect>>;

/**
 * `harness up [SERVICE…]`: starts the stack (or the named services and their dependencies) in
 * dependency order, showing progress while it waits: on a terminal a live table of the services
 * redrawn in place, otherwise one line per state change. With `-d` it returns once every
 * service is running/healthy (0) or one failed (1, saying which and why); without, it then shows
 * the services' logs, prefixed, until Ctrl-C, and brings the stack down.
 */
export async function up(services: readonly string[], options: UpOptions, cx: CliContext): Promise<number> {
  const { config } = loadStack(options, cx);
  const request = toStackRequest(config, services);
  const client = await connect(cx);
  const err = painter(cx.stderr, cx);
  const width = Math.max(...request.services.map((s) => s.length), 4);
  try {
    const terminal = liveTerminal(cx);
    const outcome =
      terminal === undefined
        ? await upWithLines(client, request, width, cx)
        : await upWithView(client, request, terminal);
    const failed = outcome.services.filter((s) => !s.ok);
    if (terminal === undefined) {
      for (const s of outcome.services) {
        const mark = s.ok ? err('green', '✔') : err('red', '✘');
        cx.stderr.write(
          `${mark} ${s.service.padEnd(width)}  ${s.state}${s.reason ? ` — ${s.reason}` : ''}\n`,
        );
      }
    }
    if (failed.length > 0) {
      cx.stderr.write(
        `harness: ${failed.map((s) => s.service).join(', ')} did not come up (${failed[0]?.reason ?? 'failed'})\n`,
      );
      return 1;
    }
    if (options.detach) return 0;
    return await followUntilInterrupted(client, config.name, request.services, width, cx);
  } finally {
    client.close();
  }
}

/** Brings the stack up printing one line per state change (not a terminal: logs, pipes, CI). */
async function upWithLines(
  client: Client,
  request: StackRequest,
  width: number,
  cx: CliContext,
): Promise<UpOutcome> {
  const err = painter(cx.stderr, cx);
  const watching = new AbortController();
  const progress = (async () => {
    for await (const e of client.subscribe(
      'events',
      { stack: request.stack.name },
      { signal: watching.signal },
    )) {
      if (isLagged(e) || e.type !== 'state') continue;
      const why = e.reason ? err('gray', ` (${e.reason})`) : '';
      cx.stderr.write(`  ${e.service.padEnd(width)}  ${err(stateColor(e.state), e.state)}${why}\n`);
    }
  })().catch(() => undefined);
  try {
    return await client.request('stack.up', { stack: request.stack, services: request.services });
  } finally {
    watching.abort();
    await progress;
  }
}

/** A terminal the view can redraw on. */
export interface Terminal extends Output {
  readonly columns?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/**
 * Where the live view goes: stderr (where the progress has always gone; stdout stays for the
 * logs) — when both stdout and stderr are terminals, NO_COLOR is not set and TERM is not `dumb`.
 * Otherwise undefined: one line per change, readable in a file or a pipe.
 */
export function liveTerminal(cx: CliContext): Terminal | undefined {
  if (cx.stdout.isTTY !== true || cx.stderr.isTTY !== true) return undefined;
  if (cx.env.NO_COLOR || cx.env.TERM === 'dumb') return undefined;
  return cx.stderr as Terminal;
}

/** Brings the stack up showing the live view; the final table stays on screen. */
async function upWithView(client: Client, request: StackRequest, terminal: Terminal): Promise<UpOutcome> {
  const stack = request.stack.name;
  const plans = request.services.map((name) => {
    const spec = request.stack.services.find((s) => s.name === name);
    return spec === undefined ? { name, replicas: 1, readiness: false, oneShot: false } : planOf(spec);
  });
  const model = new ProgressModel(plans, Date.now());
  const view = new LiveView(model, terminal);
  view.start();
  try {
    const watching = new AbortController();
    const events = (async () => {
      for await (const e of client.subscribe('events', { stack }, { signal: watching.signal })) {
        if (!isLagged(e) && model.apply(e, Date.now())) view.changed();
      }
    })().catch(() => undefined);
    // What runs already (a second `up`, or a dependency left up), with its pid.
    const before = client.request('status', { stack }).then(
      (rows: readonly StatusRow[]) => {
        if (model.snapshot(rows, Date.now(), 'initial')) view.changed();
      },
      () => undefined, // UNKNOWN_STACK: nothing runs yet
    );
    let outcome: UpOutcome;
    try {
      outcome = await client.request('stack.up', { stack: request.stack, services: request.services });
    } finally {
      watching.abort();
      await Promise.all([events, before]);
    }
    // The last events may still be on their way: the pids and unsettled states as they are now.
    const after = await client.request('status', { stack }).catch(() => undefined);
    if (after !== undefined) model.snapshot(after, Date.now(), 'final');
    model.finish(outcome.services, Date.now());
    return outcome;
  } finally {
    view.finish();
  }
}

/** At most one redraw per FRAME_MS: ~10 per second. */
export const FRAME_MS = 100;

/** What a {@link LiveView} takes from its process; tests give their own. */
export interface LiveViewOptions {
  /** Colours (default on: the view runs on a terminal that takes them). */
  readonly color?: boolean;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
  /** Runs `fn` in `ms`; returns what cancels it (default: an unref'd `setTimeout`). */
  readonly schedule?: (fn: () => void, ms: number) => () => void;
  /** Ends the process by `signal` once the view is put away (default: sends it to itself). */
  readonly raise?: (signal: NodeJS.Signals) => void;
}

function scheduleTimeout(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * Draws a {@link ProgressModel} on a terminal, redrawn in place. Redraws follow the model's
 * changes (at most one per {@link FRAME_MS}), plus one timer for the spinner and elapsed times
 * that runs only while some row is in progress. It hides the cursor while it draws and shows it
 * again when it finishes — also on Ctrl-C, SIGTERM and exit — and redraws whole on a resize.
 */
export class LiveView {
  readonly #model: ProgressModel;
  readonly #out: Terminal;
  readonly #color: boolean;
  readonly #now: () => number;
  readonly #schedule: (fn: () => void, ms: number) => () => void;
  readonly #raise: (signal: NodeJS.Signals) => void;
  #shown: string[] = [];
  #lastDraw = Number.NEGATIVE_INFINITY;
  #cancel: (() => void) | undefined;
  #resized = false;
  #running = false;
  readonly #onResize = (): void => {
    this.#resized = true;
    this.changed();
  };
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.finish();
    this.#raise(signal);
  };
  readonly #onExit = (): void => {
    if (this.#running) this.#out.write(SHOW_CURSOR);
  };

  constructor(model: ProgressModel, out: Terminal, options: LiveViewOptions = {}) {
    this.#model = model;
    this.#out = out;
    this.#color = options.color ?? true;
    this.#now = options.now ?? Date.now;
    this.#schedule = options.schedule ?? scheduleTimeout;
    // With no listener left, the signal's default action ends the process: the exit status says which.
    this.#raise = options.raise ?? ((signal) => process.kill(process.pid, signal));
  }

  /** Whether a timer is set (a redraw pending, or the spinner turning). */
  get ticking(): boolean {
    return this.#cancel !== undefined;
  }

  /** Hides the cursor, draws the first frame and starts listening for resizes and signals. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#out.write(HIDE_CURSOR);
    this.#out.on?.('resize', this.#onResize);
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
    process.once('exit', this.#onExit);
    this.#tick();
  }

  /** The model changed: a redraw within {@link FRAME_MS}. */
  changed(): void {
    if (!this.#running || this.#cancel !== undefined) return;
    const wait = Math.max(0, this.#lastDraw + FRAME_MS - this.#now());
    this.#cancel = this.#schedule(() => this.#tick(), wait);
  }

  /** Draws the last frame (it stays on screen), shows the cursor, and lets go of everything. */
  finish(): void {
    if (!this.#running) return;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#draw();
    this.#running = false;
    this.#out.write(SHOW_CURSOR);
    this.#out.off?.('resize', this.#onResize);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    process.off('exit', this.#onExit);
  }

  #tick(): void {
    this.#cancel = undefined;
    this.#draw();
    if (this.#model.busy) this.#cancel = this.#schedule(() => this.#tick(), FRAME_MS);
  }

  #draw(): void {
    const now = this.#now();
    const columns = this.#out.columns !== undefined && this.#out.columns > 0 ? this.#out.columns : 80;
    const next = renderProgress(this.#model, { now, columns, color: this.#color });
    const update = frameUpdate(this.#shown, next, columns, this.#resized);
    this.#resized = false;
    if (update !== '') this.#out.write(update);
    this.#shown = next;
    this.#lastDraw = now;
  }
}

/**
 * Shows the services' new lines, prefixed, until Ctrl-C or SIGTERM — read as `harness logs
 * --follow` reads them (every line, at the pace stdout takes them) — then brings the stack down.
 */
async function followUntilInterrupted(
  client: Client,
  stack: string,
  services: readonly string[],
  width: number,
  cx: CliContext,
): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const read = { stack, services, tail: 0, follow: true };
    await printLogs(client, read, { width, prefixed: true }, stop.signal, cx);
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  cx.stderr.write('harness: stopping the stack…\n');
  await client.request('stack.down', { stack });
  cx.stderr.write('harness: stopped\n');
  return 0;
}
