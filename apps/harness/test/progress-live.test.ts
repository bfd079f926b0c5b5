import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { ManagerEvent } from '@harness/service-orchestration';
import { FRAME_MS, LiveView, liveTerminal, type Terminal } from '../src/commands/up.js';
import type { CliContext } from '../src/context.js';
import { HIDE_CURSOR, ProgressModel, SHOW_CURSOR, type ServicePlan } from '../src/progress-view.js';
import { Screen } from './e2e-helpers.js';

const T0 = 5_000_000;
const ESC = '\u001b';
const CONTROLS = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|\r`, 'g');

/** A terminal that keeps what is written, on a {@link Screen}, and can be resized. */
class FakeTerminal extends EventEmitter implements Terminal {
  readonly isTTY = true;
  columns: number;
  readonly writes: string[] = [];
  readonly screen: Screen;

  constructor(columns = 80) {
    super();
    this.columns = columns;
    this.screen = new Screen(columns);
  }

  write(text: string): boolean {
    this.writes.push(text);
    this.screen.write(text);
    return true;
  }
}

/** A clock and timers moved by hand. */
class Clock {
  now = T0;
  #timers: { at: number; fn: () => void }[] = [];

  readonly schedule = (fn: () => void, ms: number): (() => void) => {
    const t = { at: this.now + ms, fn };
    this.#timers.push(t);
    return () => {
      this.#timers = this.#timers.filter((x) => x !== t);
    };
  };

  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time on by `ms`, running each timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
    }
    this.now = end;
  }
}

const plans: ServicePlan[] = [
  { name: 'db', replicas: 1, readiness: true, oneShot: false },
  { name: 'api', replicas: 1, readiness: false, oneShot: false },
];

function state(service: string, s: string, reason?: string): ManagerEvent {
  return {
    time: 0,
    stack: 's',
    service,
    instance: 0,
    type: 'state',
    previous: 'stopped',
    state: s,
    ...(reason === undefined ? {} : { reason }),
  } as ManagerEvent;
}

function setup(columns = 80) {
  const clock = new Clock();
  const term = new FakeTerminal(columns);
  const model = new ProgressModel(plans, clock.now);
  const raised: NodeJS.Signals[] = [];
  const view = new LiveView(model, term, {
    color: false,
    now: () => clock.now,
    schedule: clock.schedule,
    raise: (s) => raised.push(s),
  });
  const feed = (e: ManagerEvent): void => {
    if (model.apply(e, clock.now)) view.changed();
  };
  return { clock, term, model, view, raised, feed };
}

describe('live view', () => {
  it('hides the cursor, draws, redraws at most every 100 ms, and leaves the last frame', () => {
    const { clock, term, model, view, feed } = setup();
    const listeners = process.listenerCount('SIGINT');
    view.start();
    assert.equal(term.writes[0], HIDE_CURSOR);
    assert.equal(term.screen.cursorVisible, false);
    assert.deepEqual(term.screen.text().slice(1), [
      '⠋ db       pending      0.0s  -',
      '⠋ api      pending      0.0s  -',
    ]);
    assert.equal(view.ticking, true, 'the spinner turns while something is in progress');
    assert.equal(process.listenerCount('SIGINT'), listeners + 1);

    // A burst of events between two frames is one redraw.
    const before = term.writes.length;
    clock.advance(10);
    feed(state('db', 'starting'));
    feed(state('api', 'waiting', 'waiting for db (healthy)'));
    feed(state('db', 'running'));
    assert.equal(term.writes.length, before, 'not drawn at once: the frame is not due');
    assert.equal(clock.pending, 1, 'one timer');
    clock.advance(FRAME_MS);
    assert.equal(term.writes.length, before + 1);
    assert.match(term.writes.at(-1) as string, new RegExp(`^${ESC}\\[2A\r`), 'up to the first changed row');

    // Events every 5 ms for a second: ~10 redraws, not 200.
    const start = term.writes.length;
    for (let i = 0; i < 200; i++) {
      clock.advance(5);
      feed(state('api', i % 2 === 0 ? 'waiting' : 'starting'));
    }
    const draws = term.writes.length - start;
    assert.ok(draws >= 9 && draws <= 11, `${draws} redraws in 1 s`);

    // Everything up: the timer stops — no idle timer.
    feed(state('db', 'healthy'));
    feed(state('api', 'running'));
    clock.advance(FRAME_MS);
    assert.equal(model.busy, false);
    assert.equal(view.ticking, false);
    assert.equal(clock.pending, 0);
    const idle = term.writes.length;
    clock.advance(10_000);
    assert.equal(term.writes.length, idle, 'nothing drawn while nothing changes');

    model.finish(
      [
        { service: 'db', ok: true },
        { service: 'api', ok: true },
      ],
      clock.now,
    );
    view.finish();
    assert.equal(term.writes.at(-1), SHOW_CURSOR);
    assert.equal(term.screen.cursorVisible, true);
    assert.deepEqual(term.screen.text(), [
      '  SERVICE  STATE        TIME  PID',
      '✔ db       healthy      1.1s  -',
      '✔ api      running      1.1s  -',
    ]);
    assert.equal(process.listenerCount('SIGINT'), listeners, 'its signal handlers are gone');
    assert.equal(term.listenerCount('resize'), 0);
    view.finish();
    assert.equal(term.writes.at(-1), SHOW_CURSOR, 'a second finish writes nothing');
  });

  it('redraws whole, cut to the new width, when the terminal is resized', () => {
    const { clock, term, view } = setup(80);
    view.start();
    clock.advance(FRAME_MS);
    term.columns = 20;
    term.emit('resize');
    clock.advance(FRAME_MS);
    const update = term.writes.at(-1) as string;
    // The old lines (~32 columns) take two rows each once a terminal 20 wide re-wraps them.
    assert.ok(update.startsWith(`${ESC}[6A\r`), JSON.stringify(update));
    assert.ok(update.endsWith(`${ESC}[J`), 'the rows the old frame took beyond the new one are erased');
    const lines = update.split('\n').slice(0, -1);
    assert.equal(lines.length, 3);
    for (const l of lines) assert.ok(l.replace(CONTROLS, '').length <= 19, l);
    view.finish();
  });

  it('Ctrl-C puts the view away, shows the cursor, then lets the signal end the process', () => {
    const { term, view, raised } = setup();
    view.start();
    const onSigint = process.listeners('SIGINT').at(-1) as (s: NodeJS.Signals) => void;
    process.off('SIGINT', onSigint as () => void); // what `once` does before calling it
    onSigint('SIGINT');
    assert.deepEqual(raised, ['SIGINT']);
    assert.equal(term.writes.at(-1), SHOW_CURSOR);
    assert.equal(term.screen.cursorVisible, true);
    assert.equal(view.ticking, false, 'no timer left behind');
  });

  it('shows the cursor on exit if it is still drawing', () => {
    const { term, view } = setup();
    view.start();
    const onExit = process.listeners('exit').at(-1) as () => void;
    onExit();
    assert.equal(term.writes.at(-1), SHOW_CURSOR);
    view.finish();
  });
});

describe('where the live view goes', () => {
  const cx = (stdout: boolean, stderr: boolean, env: Record<string, string> = {}): CliContext => ({
    cwd: '/',
    env,
    stdout: { write: () => true, isTTY: stdout },
    stderr: { write: () => true, isTTY: stderr },
  });

  it('a terminal on stdout and stderr, colours allowed: stderr', () => {
    const c = cx(true, true, { TERM: 'xterm-256color' });
    assert.equal(liveTerminal(c), c.stderr);
  });

  it('otherwise one line per change', () => {
    assert.equal(liveTerminal(cx(false, true)), undefined, 'stdout piped or in a file');
    assert.equal(liveTerminal(cx(true, false)), undefined, 'stderr piped or in a file');
    assert.equal(liveTerminal(cx(true, true, { NO_COLOR: '1' })), undefined);
    assert.equal(liveTerminal(cx(true, true, { TERM: 'dumb' })), undefined);
  });
});
