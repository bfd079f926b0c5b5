export { WorkerError } from './errors.js';
export type { WorkerErrorCode } from './errors.js';
export type {
  ControllerLinkEvent,
  WorkerControllerOptions,
  WorkerHostNetwork,
  WorkerOptions,
} from './options.js';
export { init } from './service.js';
export type { WorkerRun } from './service.js';
