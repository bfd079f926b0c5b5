export { Command } from './command.js';
export type { CommandSpec, StdinMode } from './command.js';
export { CommandError } from './errors.js';
export type { CommandErrorCode } from './errors.js';
export type { ExitStatus, LaggedEvent, OutputEvent, ProcessEvent } from './events.js';
export { DockerLayer, LocalLayer, SshLayer, remoteShellLine, stack } from './layers.js';
export type { DockerLayerOptions, Layer, LocalLayerOptions, SshLayerOptions } from './layers.js';
export { shellJoin, shellQuote } from './quote.js';
export {
  DEFAULT_BUFFER_SIZE,
  DEFAULT_HISTORY,
  EventReader,
  SharedEventStream,
} from './shared-event-stream.js';
export type { SharedEventStreamOptions, SubscribeOptions } from './shared-event-stream.js';
export { cgroup2Mount, harnessCgroupRoot } from './cgroup.js';
export { FileFollower } from './file-follower.js';
export type { FileFollowerOptions } from './file-follower.js';
export { LocalLauncher } from './launcher.js';
export type { CgroupMode, LaunchOptions, LocalLauncherOptions, RunOptions, RunResult } from './launcher.js';
export { DEFAULT_MAX_LINE_LENGTH, LineSplitter } from './line-splitter.js';
export type { SplitLine } from './line-splitter.js';
export { isRunning, readProcStat } from './proc.js';
export type { ProcStat } from './proc.js';
export { ProcessHandle } from './process-handle.js';
export type { LogFiles } from './process-handle.js';
export { stopTree, treeGone, treeMembers, whenTreeGone } from './tree.js';
export type { ProcessTree, StopOptions, StopOutcome } from './tree.js';
export { AttachedHandle, LocalAttacher } from './attacher.js';
export type { AttachOptions } from './attacher.js';
