import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ManagerEvent } from '@harness/service-orchestration';
import {
  cursorUp,
  ERASE_DOWN,
  ERASE_LINE,
  formatElapsed,
  frameUpdate,
  ProgressModel,
  planOf,
  renderProgress,
  type ServicePlan,
  SPINNER,
  truncate,
  visibleWidth,
} from '../src/progress-view.js';
import { visible } from '../src/style.js';
import { Screen } from './e2e-helpers.js';

const ESC = '\u001b';
const T0 = 1_000_000;

const plans: ServicePlan[] = [
  { name: 'db', replicas: 1, readiness: true, oneShot: false },
  { name: 'migrate', replicas: 1, readiness: false, oneShot: true },
  { name: 'api', replicas: 1, readiness: false, oneShot: false },
];

type Body =
  | { type: 'state'; state: string; reason?: string; code?: number | null; until?: number }
  | {
      type: 'spawned';
      pid: number;
    }
  | { type: 'exit'; code: number | null };

/** A daemon event for service `service` (replica `instance`). */
function ev(service: string, body: Body, instance = 0): ManagerEvent {
  const base = { time: 0, stack: 's', service, instance };
  if (body.type === 'state') return { ...base, previous: 'stopped', ...body } as ManagerEvent;
  if (body.type === 'spawned') return { ...base, adopted: false, ...body };
  return { ...base, signal: null, ranMs: 1, ...body };
}

const plain = (model: ProgressModel, now: number, columns = 120): string[] =>
  renderProgress(model, { now, columns, color: false });

describe('progress model', () => {
  it('follows each replica from pending to up, with pid and the time it took', () => {
    const m = new ProgressModel(plans, T0);
    assert.deepEqual(
      m.rows(T0).map((r) => [r.label, r.state, r.mark, r.elapsedMs, r.pid]),
      [
        ['db', 'pending', 'spin', 0, undefined],
        ['migrate', 'pending', 'spin', 0, undefined],
        ['api', 'pending', 'spin', 0, undefined],
      ],
    );
    assert.equal(m.busy, true);
    assert.equal(m.apply(ev('db', { type: 'state', state: 'starting' }), T0 + 10), true);
    assert.equal(m.apply(ev('db', { type: 'spawned', pid: 4242 }), T0 + 20), true);
    assert.equal(m.apply(ev('db', { type: 'state', state: 'running' }), T0 + 30), true);
    m.apply(ev('migrate', { type: 'state', state: 'waiting', reason: 'waiting for db (healthy)' }), T0 + 30);
    let db = m.rows(T0 + 500)[0];
    assert.equal(db?.state, 'running');
    assert.equal(db?.phase, 'busy', 'running is not up while a readiness probe has not passed');
    assert.equal(db?.detail, 'waiting for readiness');
    assert.equal(db?.pid, 4242);
    assert.equal(db?.elapsedMs, 500, 'the clock runs while it is in progress');
    assert.equal(m.rows(T0 + 500)[1]?.detail, 'waiting for db (healthy)');

    m.apply(ev('db', { type: 'state', state: 'healthy' }), T0 + 1200);
    db = m.rows(T0 + 5000)[0];
    assert.deepEqual(
      [db?.state, db?.phase, db?.mark, db?.elapsedMs, db?.detail],
      ['healthy', 'ok', 'ok', 1200, undefined],
    );

    // A one-shot's clean exit is `completed`; a service without readiness is up when running.
    m.apply(ev('migrate', { type: 'state', state: 'starting' }), T0 + 1300);
    m.apply(ev('migrate', { type: 'spawned', pid: 5000 }), T0 + 1300);
    m.apply(ev('migrate', { type: 'exit', code: 0 }), T0 + 1400);
    m.apply(ev('migrate', { type: 'state', state: 'exited', code: 0, reason: 'exit code 0' }), T0 + 1400);
    m.apply(ev('api', { type: 'state', state: 'running' }), T0 + 1500);
    const rows = m.rows(T0 + 9000);
    assert.deepEqual(
      rows.map((r) => [r.label, r.state, r.mark, r.elapsedMs, r.pid]),
      [
        ['db', 'healthy', 'ok', 1200, 4242],
        ['migrate', 'completed', 'ok', 1400, undefined],
        ['api', 'running', 'ok', 1500, undefined],
      ],
    );
    assert.equal(m.busy, false);
    assert.equal(m.apply(ev('nope', { type: 'state', state: 'running' }), T0), false, 'not one of ours');
    assert.equal(
      m.apply(
        {
          time: 0,
          stack: 's',
          service: 'db',
          instance: 0,
          type: 'restart',
          attempt: 1,
          delayMs: 1,
          reason: 'x',
        },
        T0,
      ),
      false,
    );
  });

  it('an exit that will be restarted is in progress; a backoff says when the next try is', () => {
    const m = new ProgressModel([{ name: 'w', replicas: 1, readiness: false, oneShot: false }], T0);
    m.apply(ev('w', { type: 'state', state: 'exited', code: 0, reason: 'exit code 0' }), T0 + 10);
    assert.deepEqual([m.rows(T0 + 10)[0]?.state, m.rows(T0 + 10)[0]?.phase], ['exited', 'busy']);
    m.apply(ev('w', { type: 'state', state: 'backoff', reason: 'exit code 1', until: T0 + 2000 }), T0 + 20);
    assert.equal(m.rows(T0 + 800)[0]?.detail, 'exit code 1; restarts in 1.2s');
  });

  it('a failure and a service held back by it are ✘ with the reason', () => {
    const m = new ProgressModel(plans, T0);
    m.apply(
      ev('db', { type: 'state', state: 'failed', reason: 'gave up after 3 restarts (last: exit code 1)' }),
      T0 + 50,
    );
    m.apply(
      ev('migrate', {
        type: 'state',
        state: 'stopped',
        reason: 'dependency db failed: gave up after 3 restarts',
      }),
      T0 + 60,
    );
    const [db, migrate, api] = m.rows(T0 + 100);
    assert.deepEqual(
      [db?.state, db?.mark, db?.detail],
      ['failed', 'bad', 'gave up after 3 restarts (last: exit code 1)'],
    );
    assert.deepEqual([migrate?.state, migrate?.mark], ['stopped', 'bad']);
    assert.deepEqual([api?.state, api?.mark], ['pending', 'spin']);
    m.finish(
      [
        { service: 'db', ok: false, reason: 'gave up' },
        { service: 'migrate', ok: false, reason: 'dependency db failed' },
        { service: 'api', ok: false, reason: 'stopped while waiting' },
      ],
      T0 + 200,
    );
    const after = m.rows(T0 + 900);
    assert.deepEqual(
      after.map((r) => [r.mark, r.elapsedMs, r.detail]),
      [
        ['bad', 50, 'gave up after 3 restarts (last: exit code 1)'],
        ['bad', 60, 'dependency db failed: gave up after 3 restarts'],
        ['bad', 200, 'stopped while waiting'],
      ],
    );
    assert.equal(m.busy, false);
    assert.equal(m.finished, true);
    assert.equal(
      m.apply(ev('api', { type: 'state', state: 'running' }), T0 + 950),
      false,
      'the outcome is final',
    );
  });

  it('names replicas, and takes its plan from a service spec', () => {
    const spec = {
      name: 'web',
      replicas: 2,
      readiness: { kind: 'tcp', host: '127.0.0.1', port: 1 },
      restart: { policy: 'always' },
    } as unknown as Parameters<typeof planOf>[0];
    assert.deepEqual(planOf(spec), { name: 'web', replicas: 2, readiness: true, oneShot: false });
    const m = new ProgressModel([planOf(spec), plans[0] as ServicePlan], T0);
    m.apply(ev('web', { type: 'state', state: 'healthy' }, 1), T0 + 5);
    assert.deepEqual(
      m.rows(T0 + 5).map((r) => [r.label, r.state]),
      [
        ['web.0', 'pending'],
        ['web.1', 'healthy'],
        ['db', 'pending'],
      ],
    );
  });

  it('snapshots: what ran before `up` shows no elapsed time; events win over an older snapshot', () => {
    const m = new ProgressModel(plans, T0);
    m.apply(ev('api', { type: 'state', state: 'starting' }), T0 + 1);
    const status = [
      { service: 'db', instance: 0, state: 'healthy', pid: 10 },
      { service: 'migrate', instance: 0, state: 'stopped', pid: undefined },
      { service: 'api', instance: 0, state: 'stopped', pid: undefined },
      { service: 'other', instance: 0, state: 'running', pid: 11 },
    ] as const;
    assert.equal(m.snapshot(status, T0 + 2, 'initial'), true);
    const [db, migrate, api] = m.rows(T0 + 300);
    assert.deepEqual([db?.state, db?.mark, db?.elapsedMs, db?.pid], ['healthy', 'ok', undefined, 10]);
    assert.deepEqual([migrate?.state, migrate?.mark], ['pending', 'spin']);
    assert.equal(api?.state, 'starting', 'the event is newer than the snapshot');
    // The final snapshot fills in what the last events did not bring yet, and every pid.
    m.apply(ev('api', { type: 'state', state: 'running' }), T0 + 400);
    m.snapshot(
      [
        { service: 'db', instance: 0, state: 'healthy', pid: 10 },
        { service: 'migrate', instance: 0, state: 'exited', code: 0, pid: undefined },
        { service: 'api', instance: 0, state: 'running', pid: 12 },
      ],
      T0 + 500,
      'final',
    );
    m.finish(
      [
        { service: 'db', ok: true },
        { service: 'migrate', ok: true },
        { service: 'api', ok: true },
      ],
      T0 + 600,
    );
    assert.deepEqual(
      m.rows(T0 + 5000).map((r) => [r.state, r.mark, r.elapsedMs, r.pid]),
      [
        ['healthy', 'ok', undefined, 10],
        ['completed', 'ok', 500, undefined],
        ['running', 'ok', 400, 12],
      ],
    );
  });
});

describe('progress rendering', () => {
  it('a header, then a row per replica: mark, name, state, time, pid, why', () => {
    const m = new ProgressModel(plans, T0);
    m.apply(ev('db', { type: 'state', state: 'running' }), T0 + 10);
    m.apply(ev('db', { type: 'spawned', pid: 4242 }), T0 + 10);
    m.apply(ev('migrate', { type: 'state', state: 'waiting', reason: 'waiting for db (healthy)' }), T0 + 10);
    m.apply(ev('api', { type: 'state', state: 'failed', reason: 'exit code 3' }), T0 + 2500);
    const frame = SPINNER[3];
    assert.deepEqual(plain(m, T0 + 350), [
      '  SERVICE  STATE        TIME  PID',
      `${frame} db       running      0.3s  4242     waiting for readiness`,
      `${frame} migrate  waiting      0.3s  -        waiting for db (healthy)`,
      '✘ api      failed       2.5s  -        exit code 3',
    ]);
    assert.equal(plain(m, T0 + 450)[1]?.[0], SPINNER[4], 'the spinner turns every 100 ms');
  });

  it('colours states and marks, and none at all when colours are off (NO_COLOR)', () => {
    const m = new ProgressModel(plans, T0);
    m.apply(ev('db', { type: 'state', state: 'healthy' }), T0 + 10);
    m.apply(ev('migrate', { type: 'state', state: 'starting' }), T0 + 10);
    m.apply(ev('api', { type: 'state', state: 'failed', reason: 'boom' }), T0 + 10);
    const colored = renderProgress(m, { now: T0 + 20, columns: 100, color: true });
    assert.ok(colored[1]?.startsWith(`${ESC}[32m✔${ESC}[0m db`), colored[1]);
    assert.ok(colored[1]?.includes(`${ESC}[32mhealthy${ESC}[0m`), colored[1]);
    assert.ok(colored[2]?.includes(`${ESC}[33mstarting${ESC}[0m`), colored[2]);
    assert.ok(colored[3]?.startsWith(`${ESC}[31m✘${ESC}[0m api`), colored[3]);
    assert.ok(colored[3]?.endsWith(`${ESC}[31mboom${ESC}[0m`), colored[3]);
    const bare = renderProgress(m, { now: T0 + 20, columns: 100, color: false });
    assert.ok(
      bare.every((l) => !l.includes(ESC)),
      bare.join('\n'),
    );
    assert.deepEqual(
      bare,
      colored.map((l) => visible(l)),
      'the same text either way',
    );
  });

  it('cuts every line to the terminal width less one, with …', () => {
    const m = new ProgressModel(
      [{ name: 'a-service-with-a-long-name', replicas: 1, readiness: false, oneShot: false }],
      T0,
    );
    m.apply(
      ev('a-service-with-a-long-name', { type: 'state', state: 'failed', reason: 'x'.repeat(200) }),
      T0,
    );
    for (const color of [false, true]) {
      for (const columns of [20, 40, 80]) {
        const lines = renderProgress(m, { now: T0, columns, color });
        for (const l of lines) assert.ok(visibleWidth(l) <= columns - 1, `${columns}: ${JSON.stringify(l)}`);
        assert.ok(visible(lines[1] ?? '').endsWith('…'), lines[1]);
      }
    }
  });

  it('truncate keeps colour codes whole and resets one it cuts open', () => {
    const red = `${ESC}[31m`;
    const reset = `${ESC}[0m`;
    assert.equal(truncate('abcdef', 6), 'abcdef');
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abcdef', 0), '');
    assert.equal(truncate(`${red}abcdef${reset}`, 4), `${red}abc…${reset}`);
    assert.equal(truncate(`ab${red}cd${reset}ef`, 5), `ab${red}cd${reset}…`);
    assert.equal(truncate('⠋ 日本語abc', 5), '⠋ 日本…');
    assert.equal(visibleWidth(`${red}⠋ ok${reset}`), 4);
  });

  it('elapsed times: tenths under a minute, then minutes and hours', () => {
    assert.equal(formatElapsed(0), '0.0s');
    assert.equal(formatElapsed(1249), '1.2s');
    assert.equal(formatElapsed(59_999), '59.9s');
    assert.equal(formatElapsed(65_000), '1m05s');
    assert.equal(formatElapsed(3 * 3_600_000 + 4 * 60_000), '3h04m');
  });
});

describe('frame updates', () => {
  const A = ['header', 'one', 'two', 'three'];

  it('the first frame is written as it is', () => {
    assert.equal(frameUpdate([], A, 80), `\r${A.map((l) => `${ERASE_LINE}${l}\n`).join('')}`);
  });

  it('nothing changed, nothing written', () => {
    assert.equal(frameUpdate(A, [...A], 80), '');
  });

  it('goes up to the first changed line only, erases and rewrites from there', () => {
    const next = ['header', 'one', 'TWO', 'three'];
    assert.equal(frameUpdate(A, next, 80), `${cursorUp(2)}\r${ERASE_LINE}TWO\n${ERASE_LINE}three\n`);
    assert.equal(
      frameUpdate(A, next, 80, true),
      `${cursorUp(4)}\r${A.map((_, i) => `${ERASE_LINE}${next[i]}\n`).join('')}`,
      'redrawAll rewrites every line',
    );
  });

  it('a shorter frame erases what is left below it; a longer one adds lines', () => {
    assert.equal(frameUpdate(A, ['header', 'one'], 80), `${cursorUp(2)}\r${ERASE_DOWN}`);
    assert.equal(frameUpdate(['header'], ['header', 'x'], 80), `\r${ERASE_LINE}x\n`);
  });

  it('counts the screen rows of lines a narrower terminal re-wrapped', () => {
    const wide = ['h', 'x'.repeat(30), 'y'.repeat(30)];
    const update = frameUpdate(wide, ['h', 'a', 'b'], 20, true);
    assert.ok(update.startsWith(`${cursorUp(5)}\r`), JSON.stringify(update)); // 1 + 2 + 2
    assert.ok(update.endsWith(ERASE_DOWN), 'the rows the wrapped lines took are erased');
  });

  it('on a screen, a run of frames leaves the last one and what was above it', () => {
    const screen = new Screen(40);
    screen.write('$ harness up -d\n');
    let shown: string[] = [];
    const frames = [
      ['h', 'a starting', 'b waiting'],
      ['h', 'a running', 'b waiting'],
      ['h', 'a healthy', 'b starting', 'c pending'],
      ['h', 'a healthy', 'b running'],
      ['h', 'a healthy', 'b running'],
    ];
    for (const f of frames) {
      screen.write(frameUpdate(shown, f, screen.columns));
      shown = f;
    }
    assert.deepEqual(screen.text(), ['$ harness up -d', 'h', 'a healthy', 'b running']);
    assert.deepEqual(screen.cursor, { row: 4, col: 0 });
    // The terminal got narrower and re-wrapped the last frame: a redraw still lands in place.
    const narrow = new Screen(10);
    narrow.write('$ up\n');
    const long = ['h', 'a '.padEnd(18, '.'), 'b'];
    narrow.write(frameUpdate([], long, 10));
    narrow.write(frameUpdate(long, ['h', 'a ok', 'b ok'], 10, true));
    assert.deepEqual(narrow.text(), ['$ up', 'h', 'a ok', 'b ok']);
  });
});
