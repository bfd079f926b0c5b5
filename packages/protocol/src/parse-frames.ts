import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { type ClientFrame, type FrameId, MAX_FRAME_BYTES, type ServerFrame } from './frames.js';
import { idProblem, validateParams } from './params.js';
import { describe } from './shape.js';

/**
 * A frame that could not be used, with the id it carried when that much could be read (`null`
 * otherwise), so the answer can still name the request.
 *
 * @example
 * const f = parseClientFrame('{"id":7,"method":"nope"}');
 * if (f instanceof FrameError) console.log(f.id, f.code); // 7 'UNKNOWN_METHOD'
 */
export class FrameError extends ProtocolError {
  readonly id: FrameId | null;

  constructor(code: ProtocolErrorCode, message: string, id: FrameId | null, data?: unknown) {
    super(code, message, data === undefined ? {} : { data });
    this.id = id;
  }
}

/** Options of {@link parseClientFrame} and {@link parseServerFrame}. */
export interface ParseOptions {
  /** Frames longer than this (bytes) are refused with FRAME_TOO_LARGE; default MAX_FRAME_BYTES. */
  readonly maxBytes?: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Text and JSON of a frame, or the error that stops it. */
function decode(data: string | Buffer | Uint8Array, maxBytes: number): unknown {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (size > maxBytes) {
    return new FrameError('FRAME_TOO_LARGE', `frame of ${size} bytes exceeds the limit of ${maxBytes}`, null);
  }
  let text: string;
  try {
    text = typeof data === 'string' ? data : decoder.decode(data);
  } catch {
    return new FrameError('MALFORMED_FRAME', 'frame is not valid UTF-8 text', null);
  }
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return new FrameError('MALFORMED_FRAME', `frame is not valid JSON: ${why}`, null);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The frame object and its id, or the error that stops it. */
function envelope(
  data: string | Buffer | Uint8Array,
  options: ParseOptions,
  nullId: boolean,
): { frame: Record<string, unknown>; id: FrameId | null } | FrameError {
  const decoded = decode(data, options.maxBytes ?? MAX_FRAME_BYTES);
  if (decoded instanceof FrameError) return decoded;
  const frame = (decoded as { json: unknown }).json;
  if (!isRecord(frame)) {
    return new FrameError('MALFORMED_FRAME', `frame must be a JSON object, got ${describe(frame)}`, null);
  }
  if (!('id' in frame)) return new FrameError('MALFORMED_FRAME', 'frame has no "id"', null);
  if (nullId && frame.id === null) return { frame, id: null };
  const problem = idProblem(frame.id);
  if (problem !== undefined) return new FrameError('MALFORMED_FRAME', `frame "id" ${problem}`, null);
  return { frame, id: frame.id as FrameId };
}

/**
 * Reads one client → daemon frame: valid JSON, an object, an `id` (a string of 1–128 characters
 * or a safe integer), a `method` the protocol knows and params that fit it. Never throws: a bad
 * frame comes back as a {@link FrameError} carrying the code to answer with.
 *
 * @example
 * const f = parseClientFrame('{"id":1,"method":"status","params":{}}');
 * if (!(f instanceof ProtocolError)) console.log(f.method); // 'status'
 */
export function parseClientFrame(
  data: string | Buffer | Uint8Array,
  options: ParseOptions = {},
): ClientFrame | FrameError {
  const env = envelope(data, options, false);
  if (env instanceof FrameError) return env;
  return clientFrame(env.frame, env.id);
}

/** The client-frame checks on a decoded object (`id` already read). */
function clientFrame(frame: Record<string, unknown>, id: FrameId | null): ClientFrame | FrameError {
  if (id === null) return new FrameError('MALFORMED_FRAME', `frame "id" ${idProblem(null)}`, null);
  for (const key of Object.keys(frame)) {
    if (key !== 'id' && key !== 'method' && key !== 'params') {
      return new FrameError('MALFORMED_FRAME', `unknown frame field "${key.slice(0, 40)}"`, id);
    }
  }
  if (typeof frame.method !== 'string') {
    return new FrameError(
      'MALFORMED_FRAME',
      `frame "method" must be a string, got ${describe(frame.method)}`,
      id,
    );
  }
  if ('params' in frame && !isRecord(frame.params)) {
    return new FrameError(
      'INVALID_PARAMS',
      `frame "params" must be an object, got ${describe(frame.params)}`,
      id,
    );
  }
  const bad = validateParams(frame.method, frame.params);
  if (bad !== undefined) return new FrameError(bad.code, bad.message, id, bad.data);
  return frame as unknown as ClientFrame;
}

const ERROR_CODES: ReadonlySet<string> = new Set<ProtocolErrorCode>([
  'UNAUTHENTICATED',
  'PROTOCOL_VERSION',
  'MALFORMED_FRAME',
  'FRAME_TOO_LARGE',
  'UNKNOWN_METHOD',
  'INVALID_PARAMS',
  'DUPLICATE_ID',
  'UNKNOWN_STACK',
  'UNKNOWN_SERVICE',
  'INVALID_SPEC',
  'DEPENDENCY_CYCLE',
  'START_FAILED',
  'DAEMON_UNAVAILABLE',
  'CONNECTION_CLOSED',
  'TIMEOUT',
  'CERTIFICATE_MISMATCH',
  'LIMIT_EXCEEDED',
  'WORKER_GONE',
  'UNKNOWN_HOST',
  'NO_WORKER',
  'HOST_TAKEN',
  'INTERNAL',
]);

/**
 * Reads one daemon → client frame: an object with an `id` and exactly one of `result`, `error`
 * (with a known code and a message), `event`, `lagged` (a count) or `end: true`. An error code
 * from a newer daemon is read as INTERNAL, keeping its message.
 *
 * @example
 * const f = parseServerFrame('{"id":1,"result":{"ok":true}}');
 */
export function parseServerFrame(
  data: string | Buffer | Uint8Array,
  options: ParseOptions = {},
): ServerFrame | FrameError {
  const env = envelope(data, options, true);
  if (env instanceof FrameError) return env;
  return serverFrame(env.frame, env.id);
}

const SERVER_KINDS = ['result', 'error', 'event', 'lagged', 'end'] as const;

/** The server-frame checks on a decoded object (`id` already read, `null` allowed). */
function serverFrame(frame: Record<string, unknown>, id: FrameId | null): ServerFrame | FrameError {
  const kinds = SERVER_KINDS.filter((k) => k in frame);
  const [kind] = kinds;
  if (kinds.length !== 1 || kind === undefined) {
    const found = kinds.length === 0 ? 'none' : kinds.join(', ');
    return new FrameError(
      'MALFORMED_FRAME',
      `frame must have exactly one of result, error, event, lagged, end (found ${found})`,
      id,
    );
  }
  if (id === null && kind !== 'error') {
    return new FrameError('MALFORMED_FRAME', `a ${kind} frame needs an id`, null);
  }
  switch (kind) {
    case 'error': {
      const body = frame.error;
      if (!isRecord(body) || typeof body.code !== 'string' || typeof body.message !== 'string') {
        return new FrameError(
          'MALFORMED_FRAME',
          'an error frame needs error.code and error.message strings',
          id,
        );
      }
      if (!ERROR_CODES.has(body.code)) {
        return { id, error: { code: 'INTERNAL', message: `${body.code}: ${body.message}`, data: body.data } };
      }
      break;
    }
    case 'lagged':
      if (typeof frame.lagged !== 'number' || !Number.isSafeInteger(frame.lagged) || frame.lagged < 1) {
        return new FrameError(
          'MALFORMED_FRAME',
          `"lagged" must be a positive integer, got ${describe(frame.lagged)}`,
          id,
        );
      }
      break;
    case 'end':
      if (frame.end !== true) {
        return new FrameError('MALFORMED_FRAME', `"end" must be true, got ${describe(frame.end)}`, id);
      }
      break;
  }
  return frame as unknown as ServerFrame;
}

/**
 * One frame on a connection where both ends send requests — a controller and its standalone
 * worker: a frame with a `method` is a request (or a cancel) from the other end; a frame with
 * `result`, `error`, `event`, `lagged` or `end` answers one of ours. Ids of the two directions are
 * separate: an answer's id is one we chose, a request's id one the other end chose.
 */
export type PeerFrame =
  | { readonly kind: 'request'; readonly frame: ClientFrame | FrameError }
  | { readonly kind: 'response'; readonly frame: ServerFrame | FrameError }
  /** Not readable as either (not JSON, no usable id): answer with `{ id: null, error }` at most. */
  | { readonly kind: 'unreadable'; readonly frame: FrameError };

/**
 * Reads one frame of a two-way connection (see {@link PeerFrame}). Never throws.
 *
 * @example
 * const f = parsePeerFrame('{"id":3,"method":"status","params":{}}');
 * if (f.kind === 'request' && !(f.frame instanceof FrameError)) console.log(f.frame.method);
 */
export function parsePeerFrame(data: string | Buffer | Uint8Array, options: ParseOptions = {}): PeerFrame {
  const env = envelope(data, options, true);
  if (env instanceof FrameError) return { kind: 'unreadable', frame: env };
  const { frame, id } = env;
  if (!('method' in frame) && SERVER_KINDS.some((k) => k in frame)) {
    return { kind: 'response', frame: serverFrame(frame, id) };
  }
  return { kind: 'request', frame: clientFrame(frame, id) };
}
