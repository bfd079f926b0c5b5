import type { ProtocolErrorCode } from './errors.js';

/** Largest frame either side accepts (bytes). Larger frames are refused with FRAME_TOO_LARGE. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** A request id: chosen by the client, unique among its open requests and subscriptions. */
export type FrameId = string | number;

/**
 * Client → daemon. The first frame of a connection must be `hello` with the protocol version
 * and the token; anything else before it is answered with UNAUTHENTICATED and the connection is
 * closed.
 */
export type ClientFrame =
  | {
      readonly id: FrameId;
      readonly method: 'hello';
      readonly params: { readonly protocol: number; readonly token: string; readonly client?: string };
    }
  | { readonly id: FrameId; readonly method: 'cancel'; readonly params: { readonly id: FrameId } }
  | { readonly id: FrameId; readonly method: string; readonly params?: Readonly<Record<string, unknown>> };

/** The error part of an error frame. */
export interface ErrorBody {
  readonly code: ProtocolErrorCode;
  readonly message: string;
  readonly data?: unknown;
}

/** Daemon → client. */
export type ServerFrame =
  | { readonly id: FrameId; readonly result: unknown }
  | { readonly id: FrameId | null; readonly error: ErrorBody }
  | { readonly id: FrameId; readonly event: unknown }
  | { readonly id: FrameId; readonly end: true };
