export { errorFromBody, FrameCaller } from './caller.js';
export type { CallerSubscribeOptions, CallerSubscription, FrameCallerOptions } from './caller.js';
export { HarnessClient } from './client.js';
export type { ClientOptions, ServeOptions, SubscribeOptions } from './client.js';
export * from './errors.js';
export { DEFAULT_QUEUE_LIMIT, isLagged } from './event-queue.js';
export type { Lagged, QueueFlow } from './event-queue.js';
export * from './frames.js';
export {
  BATCH_MAX_CHARS,
  BATCH_MAX_LINES,
  batchLogLines,
  expandLogBatch,
  isLogBatch,
} from './log-batch.js';
export type { LogBatch } from './log-batch.js';
export { ALL_METHODS, suggestMethod } from './method-names.js';
export * from './methods.js';
export { MAX_TAIL, validateParams } from './params.js';
export { FrameError, parseClientFrame, parsePeerFrame, parseServerFrame } from './parse-frames.js';
export type { ParseOptions, PeerFrame } from './parse-frames.js';
export { daemonPaths, defaultHome } from './paths.js';
export type { DaemonPaths } from './paths.js';
export { remoteWorker } from './remote-worker.js';
export type { RemoteWorkerOptions } from './remote-worker.js';
export {
  FrameResponder,
  MAX_OPEN_PER_CONNECTION,
  SEND_HIGH_WATER_BYTES,
  toProtocolError,
} from './responder.js';
export type { FrameParams, FrameResponderOptions, RequestHandler } from './responder.js';
export { HOST_NAME } from './shape.js';
export type { ParamProblem } from './shape.js';
export { normalizeFingerprint } from './transport.js';
export type { ClientEndpoint } from './transport.js';
export { UnixWebSocket } from './unix-websocket.js';
export type { FrameSocket, UnixWebSocketOptions } from './unix-websocket.js';
export { callWorker, openWorkerStream, workerHandler } from './worker-handler.js';
