export { OrchestrationError } from './errors.js';
export type { OrchestrationErrorCode } from './errors.js';
export type { InstanceStatus, ManagerEvent, ServiceCounters, StateName } from './events.js';
export type { InstanceRecord, RunningInstance, ServiceExecutor, StartContext } from './executor.js';
export { containerName, DOCKER_LABELS, DockerExecutor } from './docker-executor.js';
export type {
  DockerContainerRecord,
  DockerExecutorOptions,
  DockerInstanceRecord,
} from './docker-executor.js';
export { dependents, startOrder, withDependencies } from './graph.js';
export { FIRST_RETRY_MS, HealthMonitor } from './health-monitor.js';
export type { HealthCallbacks } from './health-monitor.js';
export { DEFAULT_LOG_LIMITS, LogStore } from './log-store.js';
export type { LogLimits, LogLine } from './log-store.js';
export type { LogsOptions, StampedLogLine } from './logs.js';
export { ServiceManager } from './manager.js';
export type { InstanceInfo, ServiceManagerOptions, UpOutcome } from './manager.js';
export { contentHash, PackageExecutor } from './package-executor.js';
export type { PackageExecutorOptions } from './package-executor.js';
export { ProcessExecutor } from './process-executor.js';
export { runProbe } from './probes.js';
export type { ActiveProbe, ProbeResult } from './probes.js';
export { backoffDelay, decideRestart, describeEnd, isFailure } from './restart-policy.js';
export type { RestartDecision, RunEnd, RunHistory } from './restart-policy.js';
export { remoteExecutors } from './remote-executors.js';
export { DEFAULT_RESTART, DEFAULT_SHUTDOWN, serviceSpec } from './spec.js';
export type {
  BackoffSpec,
  DependencyCondition,
  DockerPort,
  DockerTarget,
  DockerVolume,
  PackageTarget,
  ProbeSpec,
  ProcessTarget,
  RestartPolicyName,
  RestartSpec,
  ServiceSpec,
  ServiceTarget,
  ShutdownSpec,
  SshConnection,
  SshTarget,
  StackSpec,
} from './spec.js';
export { describeHost, SshExecutor } from './ssh-executor.js';
export type { RemoteRun, SshExecutorOptions, SshInstanceRecord, SshRemoteRecord } from './ssh-executor.js';
export { StateStore } from './state-store.js';
export type { PersistedInstance, PersistedStack, PersistedState } from './state-store.js';
