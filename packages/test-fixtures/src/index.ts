/**
 * Real components for Harness's tests: sshd in a network namespace, a private Docker engine and
 * busybox images built from scratch. Every fixture starts for real or throws a
 * {@link FixtureError} naming what is missing; none of them ever skips.
 */
export { startSshHost } from './ssh-host.js';
export type { KnownHostsOptions, SshHost, SshHostOptions } from './ssh-host.js';
export { FixtureError } from './errors.js';
export type { FixtureErrorCode } from './errors.js';
export type { StepOutput } from './system.js';
export { startDockerEngine } from './docker-engine.js';
export type { ContainerSpec, DockerEngine, DockerEngineOptions } from './docker-engine.js';
export { isStaticElf } from './elf.js';
export { untilInFolder } from './folder-watch.js';
export { inotifyWatchesOn } from './inotify.js';
