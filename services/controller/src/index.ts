export { ControllerError } from './errors.js';
export type { ControllerErrorCode } from './errors.js';
export { ensureToken } from './home.js';
export { init } from './service.js';
export type { ControllerEndpoint, ControllerOptions, ControllerRun } from './service.js';
export { ensureTlsMaterial } from './tls-material.js';
export type { TlsMaterial } from './tls-material.js';
