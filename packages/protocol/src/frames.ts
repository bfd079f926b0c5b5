import type { ProtocolErrorCode } from './errors.js';

/** Largest frame either side accepts (bytes). Larger frames are refused with FRAME_TOO_LARGE. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Longest string id (characters) a frame may carry; numeric ids must be safe integers. */
export const MAX_ID_LENGTH = 128;

/** A request id: chosen by the client, unique among its open requests and subscriptions. */
export type FrameId = string | number;

/** Params of the `hello` frame, the first frame of every connection. */
export interface HelloParams {
  readonly protocol: number;
  readonly token: string;
  /** A free-form name of the client, for the daemon's logs (at most 200 characters). */
  readonly client?: string;
}

/** The daemon's answer to a good `hello`. */
export interface HelloResult {
  readonly protocol: number;
  /** The daemon's version. */
  readonly version: string;
}

/** The daemon's answer to a subscription request, before its first event. */
export interface SubscribedResult {
  readonly subscribed: true;
}

/**
 * Client → daemon. The first frame of a connection must be `hello` with the protocol version
 * and the token; anything else before it is answered with UNAUTHENTICATED and the connection is
 * closed.
 */
export type ClientFrame =
  | { readonly id: FrameId; readonly method: 'hello'; readonly params: HelloParams }
  | { readonly id: FrameId; readonly method: 'cancel'; readonly params: { readonly id: FrameId } }
  | { readonly id: FrameId; readonly method: string; readonly params?: Readonly<Record<string, unknown>> };

/** The error part of an error frame. */
export interface ErrorBody {
  readonly code: ProtocolErrorCode;
  readonly message: string;
  readonly data?: unknown;
}

/**
 * Daemon → client. `lagged` tells a subscriber that the daemon dropped that many events because
 * the client read too slowly (see docs/protocol.md, "Limits").
 */
export type ServerFrame =
  | { readonly id: FrameId; readonly result: unknown }
  | { readonly id: FrameId | null; readonly error: ErrorBody }
  | { readonly id: FrameId; readonly event: unknown }
  | { readonly id: FrameId; readonly lagged: number }
  | { readonly id: FrameId; readonly end: true };
