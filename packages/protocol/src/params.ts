import { ProtocolError } from './errors.js';
import { MAX_ID_LENGTH } from './frames.js';
import { suggestMethod } from './method-names.js';
import { describe, ShapeCheck } from './shape.js';

/** Largest `tail` of a `logs` subscription and `replay` of an `events` one. */
export const MAX_TAIL = 100_000;

type Checker = (c: ShapeCheck, p: Record<string, unknown>) => void;

const none: Checker = (c, p) => c.onlyKeys(p, 'params', []);

const serviceOp: Checker = (c, p) => {
  c.onlyKeys(p, 'params', ['stack', 'services', 'host']);
  c.string(p, 'params', 'stack', true);
  c.strings(p, 'params', 'services', true, true);
  c.hostName(p, 'params', 'host', false);
};

const CHECKERS: Readonly<Record<string, Checker>> = {
  hello: (c, p) => {
    c.onlyKeys(p, 'params', ['protocol', 'token', 'client']);
    if (typeof p.protocol !== 'number' || !Number.isInteger(p.protocol)) {
      c.problem('params.protocol', `must be an integer protocol version, got ${describe(p.protocol)}`);
    }
    c.string(p, 'params', 'token', true, 1024);
    c.string(p, 'params', 'client', false, 200);
  },
  cancel: (c, p) => {
    c.onlyKeys(p, 'params', ['id']);
    const problem = idProblem(p.id);
    if (problem !== undefined) c.problem('params.id', problem);
  },
  'daemon.info': none,
  'daemon.shutdown': none,
  'hosts.list': none,
  'worker.register': (c, p) => {
    c.onlyKeys(p, 'params', ['host', 'version', 'pid']);
    c.hostName(p, 'params', 'host', true);
    c.string(p, 'params', 'version', true, 200);
    if (p.pid !== undefined && !(Number.isSafeInteger(p.pid) && (p.pid as number) > 0)) {
      c.problem('params.pid', `must be a positive integer, got ${describe(p.pid)}`);
    }
  },
  'stack.list': (c, p) => {
    c.onlyKeys(p, 'params', ['host']);
    c.hostName(p, 'params', 'host', false);
  },
  'stack.up': (c, p) => {
    c.onlyKeys(p, 'params', ['stack', 'services', 'host']);
    checkStackSpec(c, p.stack);
    c.strings(p, 'params', 'services', false, false);
    c.hostName(p, 'params', 'host', false);
  },
  'stack.down': (c, p) => {
    c.onlyKeys(p, 'params', ['stack', 'host']);
    c.string(p, 'params', 'stack', true);
    c.hostName(p, 'params', 'host', false);
  },
  'service.start': serviceOp,
  'service.stop': serviceOp,
  'service.restart': serviceOp,
  status: (c, p) => {
    c.onlyKeys(p, 'params', ['stack', 'host']);
    c.string(p, 'params', 'stack', false);
    c.hostName(p, 'params', 'host', false);
  },
  logs: (c, p) => {
    c.onlyKeys(p, 'params', ['stack', 'services', 'tail', 'follow', 'wait', 'host']);
    c.string(p, 'params', 'stack', true);
    c.strings(p, 'params', 'services', false, false);
    c.count(p, 'params', 'tail', MAX_TAIL);
    c.boolean(p, 'params', 'follow');
    c.boolean(p, 'params', 'wait');
    c.hostName(p, 'params', 'host', false);
  },
  events: (c, p) => {
    c.onlyKeys(p, 'params', ['stack', 'replay', 'host']);
    c.string(p, 'params', 'stack', false);
    c.count(p, 'params', 'replay', MAX_TAIL);
    c.hostName(p, 'params', 'host', false);
  },
};

/**
 * A structural check of a stack spec: a name, and services that are objects with a name and a
 * target. The orchestration checks the rest (dependencies, cycles) when it starts the stack.
 */
function checkStackSpec(c: ShapeCheck, stack: unknown): void {
  if (!c.isObject(stack)) {
    c.problem('params.stack', `must be a stack spec object, got ${describe(stack)}`);
    return;
  }
  c.string(stack, 'params.stack', 'name', true, 200);
  const services = stack.services;
  if (!Array.isArray(services)) {
    c.problem('params.stack.services', `must be an array of service specs, got ${describe(services)}`);
    return;
  }
  services.forEach((s: unknown, i) => {
    const path = `params.stack.services[${i}]`;
    if (!c.isObject(s)) {
      c.problem(path, `must be a service spec object, got ${describe(s)}`);
      return;
    }
    c.string(s, path, 'name', true, 200);
    if (!c.isObject(s.target) || typeof s.target.kind !== 'string') {
      c.problem(`${path}.target`, `must be an object with a "kind", got ${describe(s.target)}`);
    }
  });
}

/** Why a value is not a usable frame id, or undefined when it is one. */
export function idProblem(id: unknown): string | undefined {
  if (typeof id === 'string') {
    if (id.length === 0 || id.length > MAX_ID_LENGTH) {
      return `must be 1 to ${MAX_ID_LENGTH} characters, got ${id.length}`;
    }
    return undefined;
  }
  if (typeof id === 'number') {
    return Number.isSafeInteger(id) ? undefined : `must be a safe integer, got ${describe(id)}`;
  }
  return `must be a string or an integer, got ${describe(id)}`;
}

/**
 * Checks the params of a method: every problem found, each naming its field, in one
 * INVALID_PARAMS error (`data.problems`); UNKNOWN_METHOD (with a "did you mean") for a name
 * the protocol does not have; undefined when the params are good. Absent params count as `{}`.
 *
 * @example
 * validateParams('logs', { stack: 'shop', tail: -1 });
 * // ProtocolError INVALID_PARAMS: 'params.tail must be an integer from 0 to 100000, got -1'
 */
export function validateParams(method: string, params: unknown): ProtocolError | undefined {
  const checker = Object.hasOwn(CHECKERS, method) ? CHECKERS[method] : undefined;
  if (checker === undefined) return unknownMethod(method);
  const c = new ShapeCheck();
  const p = params ?? {};
  if (!c.isObject(p)) {
    return new ProtocolError('INVALID_PARAMS', `params of ${method} must be an object, got ${describe(p)}`);
  }
  checker(c, p);
  if (c.problems.length === 0) return undefined;
  const message = c.problems.map((x) => `${x.path} ${x.message}`).join('; ');
  return new ProtocolError('INVALID_PARAMS', `${method}: ${message}`, { data: { problems: c.problems } });
}

/** The UNKNOWN_METHOD error for a name, with a suggestion when one is close. */
export function unknownMethod(method: string): ProtocolError {
  const shown = method.length > 60 ? `${method.slice(0, 57)}...` : method;
  const hint = suggestMethod(method);
  const tail = hint === undefined ? '' : ` (did you mean "${hint}"?)`;
  return new ProtocolError('UNKNOWN_METHOD', `no method named ${JSON.stringify(shown)}${tail}`);
}
