export { ServerError } from './errors.js';
export type { ServerErrorCode } from './errors.js';
export type { HealthReport } from './health.js';
export type { HttpErrorCode } from './http-reply.js';
export { init } from './service.js';
export type { ServerOptions, ServerRun } from './service.js';
