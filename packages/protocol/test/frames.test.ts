import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FrameError,
  MAX_FRAME_BYTES,
  parseClientFrame,
  parseServerFrame,
  type ProtocolErrorCode,
  suggestMethod,
  validateParams,
} from '../src/index.js';

const stack = {
  name: 'shop',
  services: [{ name: 'web', target: { kind: 'process', command: ['node', 'web.js'] } }],
};

describe('parseClientFrame accepts', () => {
  const valid: [string, unknown][] = [
    ['hello', { id: 0, method: 'hello', params: { protocol: 1, token: 'abc', client: 'cli' } }],
    ['cancel', { id: 'c1', method: 'cancel', params: { id: 4 } }],
    ['daemon.info without params', { id: 1, method: 'daemon.info' }],
    ['daemon.shutdown', { id: 2, method: 'daemon.shutdown', params: {} }],
    ['stack.up', { id: 3, method: 'stack.up', params: { stack, services: ['web'] } }],
    ['stack.down', { id: 4, method: 'stack.down', params: { stack: 'shop' } }],
    ['stack.list', { id: 5, method: 'stack.list', params: {} }],
    ['service.start', { id: 6, method: 'service.start', params: { stack: 'shop', services: ['web'] } }],
    ['service.stop', { id: 7, method: 'service.stop', params: { stack: 'shop', services: ['a', 'b'] } }],
    ['service.restart', { id: 8, method: 'service.restart', params: { stack: 's', services: ['a'] } }],
    ['status', { id: 9, method: 'status', params: { stack: 'shop' } }],
    ['status of all', { id: 10, method: 'status' }],
    [
      'logs',
      { id: 11, method: 'logs', params: { stack: 'shop', services: ['web'], tail: 10, follow: true } },
    ],
    ['events', { id: 'e', method: 'events', params: { stack: 'shop', replay: 5 } }],
  ];
  for (const [name, frame] of valid) {
    it(name, () => {
      const parsed = parseClientFrame(JSON.stringify(frame));
      assert.ok(!(parsed instanceof FrameError), parsed instanceof FrameError ? parsed.message : '');
      assert.deepEqual(parsed, frame);
    });
  }
  it('a Buffer', () => {
    const parsed = parseClientFrame(Buffer.from('{"id":1,"method":"status"}'));
    assert.deepEqual(parsed, { id: 1, method: 'status' });
  });
});

describe('parseClientFrame refuses', () => {
  const f = (frame: unknown): string => JSON.stringify(frame);
  const bad: [string, string | Buffer, ProtocolErrorCode, (string | number | null)?, RegExp?][] = [
    ['empty text', '', 'MALFORMED_FRAME', null, /not valid JSON/],
    ['truncated JSON', '{"id":1,"method":"sta', 'MALFORMED_FRAME', null],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'MALFORMED_FRAME', null, /UTF-8/],
    ['a JSON array', '[1,2]', 'MALFORMED_FRAME', null, /JSON object, got an array/],
    ['a JSON string', '"hi"', 'MALFORMED_FRAME', null],
    ['JSON null', 'null', 'MALFORMED_FRAME', null],
    ['no id', f({ method: 'status' }), 'MALFORMED_FRAME', null, /no "id"/],
    ['null id', f({ id: null, method: 'status' }), 'MALFORMED_FRAME', null],
    ['boolean id', f({ id: true, method: 'status' }), 'MALFORMED_FRAME', null, /string or an integer/],
    ['fractional id', f({ id: 1.5, method: 'status' }), 'MALFORMED_FRAME', null, /safe integer/],
    ['huge numeric id', '{"id":1e300,"method":"status"}', 'MALFORMED_FRAME', null],
    ['empty string id', f({ id: '', method: 'status' }), 'MALFORMED_FRAME', null],
    ['id of 129 chars', f({ id: 'x'.repeat(129), method: 'status' }), 'MALFORMED_FRAME', null, /1 to 128/],
    ['no method', f({ id: 1 }), 'MALFORMED_FRAME', 1, /"method" must be a string/],
    ['numeric method', f({ id: 1, method: 7 }), 'MALFORMED_FRAME', 1],
    ['extra frame field', f({ id: 1, method: 'status', extra: 1 }), 'MALFORMED_FRAME', 1, /"extra"/],
    ['params an array', f({ id: 1, method: 'status', params: [] }), 'INVALID_PARAMS', 1],
    ['params null', f({ id: 1, method: 'status', params: null }), 'INVALID_PARAMS', 1],
    ['unknown method', f({ id: 2, method: 'stak.up' }), 'UNKNOWN_METHOD', 2, /did you mean "stack.up"/],
    ['a far unknown method', f({ id: 2, method: 'rm -rf' }), 'UNKNOWN_METHOD', 2],
    ['__proto__ as method', f({ id: 2, method: '__proto__' }), 'UNKNOWN_METHOD', 2],
    [
      'hello without token',
      f({ id: 0, method: 'hello', params: { protocol: 1 } }),
      'INVALID_PARAMS',
      0,
      /token/,
    ],
    [
      'hello with a string protocol',
      f({ id: 0, method: 'hello', params: { protocol: '1', token: 't' } }),
      'INVALID_PARAMS',
      0,
      /params.protocol/,
    ],
    ['cancel without id', f({ id: 3, method: 'cancel', params: {} }), 'INVALID_PARAMS', 3, /params.id/],
    [
      'stack.up without a stack',
      f({ id: 4, method: 'stack.up', params: {} }),
      'INVALID_PARAMS',
      4,
      /params.stack must be a stack spec/,
    ],
    [
      'stack.up with services not an array',
      f({ id: 4, method: 'stack.up', params: { stack: { name: 's', services: {} } } }),
      'INVALID_PARAMS',
      4,
      /params.stack.services must be an array/,
    ],
    [
      'stack.up service without target',
      f({ id: 4, method: 'stack.up', params: { stack: { name: 's', services: [{ name: 'a' }] } } }),
      'INVALID_PARAMS',
      4,
      /services\[0\].target/,
    ],
    [
      'stack.up service without name',
      f({
        id: 4,
        method: 'stack.up',
        params: { stack: { name: 's', services: [{ target: { kind: 'process' } }] } },
      }),
      'INVALID_PARAMS',
      4,
      /services\[0\].name is required/,
    ],
    [
      'stack.down with a number',
      f({ id: 5, method: 'stack.down', params: { stack: 5 } }),
      'INVALID_PARAMS',
      5,
      /params.stack must be a non-empty string, got 5/,
    ],
    [
      'service.stop with no services',
      f({ id: 6, method: 'service.stop', params: { stack: 's', services: [] } }),
      'INVALID_PARAMS',
      6,
      /at least one/,
    ],
    [
      'service.start with a non-string service',
      f({ id: 6, method: 'service.start', params: { stack: 's', services: [1] } }),
      'INVALID_PARAMS',
      6,
      /services\[0\]/,
    ],
    [
      'logs with a negative tail',
      f({ id: 7, method: 'logs', params: { stack: 's', tail: -1 } }),
      'INVALID_PARAMS',
      7,
      /params.tail/,
    ],
    [
      'logs with a string follow',
      f({ id: 7, method: 'logs', params: { stack: 's', follow: 'yes' } }),
      'INVALID_PARAMS',
      7,
      /params.follow/,
    ],
    [
      'events with a fractional replay',
      f({ id: 8, method: 'events', params: { replay: 1.5 } }),
      'INVALID_PARAMS',
      8,
    ],
    [
      'an unknown param',
      f({ id: 9, method: 'status', params: { stak: 's' } }),
      'INVALID_PARAMS',
      9,
      /params.stak unknown field/,
    ],
    ['params on daemon.info', f({ id: 9, method: 'daemon.info', params: { x: 1 } }), 'INVALID_PARAMS', 9],
  ];
  for (const [name, data, code, id, message] of bad) {
    it(`${name} with ${code}`, () => {
      const parsed = parseClientFrame(data);
      assert.ok(parsed instanceof FrameError, `expected an error, got ${JSON.stringify(parsed)}`);
      assert.equal(parsed.code, code);
      assert.equal(parsed.id, id ?? null);
      if (message) assert.match(parsed.message, message);
    });
  }
  it('an oversized frame with FRAME_TOO_LARGE, before parsing it', () => {
    const parsed = parseClientFrame('x'.repeat(101), { maxBytes: 100 });
    assert.ok(parsed instanceof FrameError);
    assert.equal(parsed.code, 'FRAME_TOO_LARGE');
    const big = parseClientFrame(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20));
    assert.ok(big instanceof FrameError && big.code === 'FRAME_TOO_LARGE');
  });
});

describe('validateParams', () => {
  it('reports every problem at once, each with its field', () => {
    const e = validateParams('logs', { stack: '', tail: 'x', follow: 1, other: true });
    assert.equal(e?.code, 'INVALID_PARAMS');
    const { problems } = (e?.data ?? { problems: [] }) as { problems: { path: string }[] };
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      'params.follow',
      'params.other',
      'params.stack',
      'params.tail',
    ]);
  });
  it('accepts absent params as empty ones', () => {
    assert.equal(validateParams('stack.list', undefined), undefined);
  });
  it('refuses a non-object', () => {
    assert.equal(validateParams('status', 5)?.code, 'INVALID_PARAMS');
  });
  it('cuts a long unknown method name in its message', () => {
    const e = validateParams('m'.repeat(500), {});
    assert.equal(e?.code, 'UNKNOWN_METHOD');
    assert.ok((e?.message.length ?? 0) < 120);
  });
  it('suggests near names only', () => {
    assert.equal(suggestMethod('stauts'), 'status');
    assert.equal(suggestMethod('Service.Stop'), 'service.stop');
    assert.equal(suggestMethod('completely-different'), undefined);
  });
});

describe('parseServerFrame', () => {
  it('reads results, errors, events, lagged and end frames', () => {
    for (const frame of [
      { id: 1, result: { ok: true } },
      { id: null, error: { code: 'MALFORMED_FRAME', message: 'bad' } },
      { id: 'x', error: { code: 'UNKNOWN_STACK', message: 'no', data: { a: 1 } } },
      { id: 2, event: { type: 'state' } },
      { id: 2, lagged: 3 },
      { id: 2, end: true },
    ]) {
      assert.deepEqual(parseServerFrame(JSON.stringify(frame)), frame);
    }
  });
  it('reads an unknown error code as INTERNAL, keeping it in the message', () => {
    const f = parseServerFrame('{"id":1,"error":{"code":"NEW_THING","message":"m"}}');
    assert.deepEqual(f, { id: 1, error: { code: 'INTERNAL', message: 'NEW_THING: m', data: undefined } });
  });
  const bad: [string, string][] = [
    ['no kind', '{"id":1}'],
    ['two kinds', '{"id":1,"result":1,"event":2}'],
    ['a result without id', '{"id":null,"result":1}'],
    ['an error without a message', '{"id":1,"error":{"code":"INTERNAL"}}'],
    ['lagged zero', '{"id":1,"lagged":0}'],
    ['end false', '{"id":1,"end":false}'],
    ['not JSON', '{'],
    ['no id', '{"result":1}'],
  ];
  for (const [name, data] of bad) {
    it(`refuses ${name}`, () => {
      const f = parseServerFrame(data);
      assert.ok(f instanceof FrameError);
      assert.equal(f.code, 'MALFORMED_FRAME');
    });
  }
});
