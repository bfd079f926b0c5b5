import {
  type AttachedHandle,
  Command,
  CommandError,
  LocalAttacher,
  LocalLauncher,
  type ProcessHandle,
} from '@harness/command-executor';
import { rmdirSync } from 'node:fs';
import { OrchestrationError } from './errors.js';
import {
  type InstanceRecord,
  type RunningInstance,
  readsOutput,
  type ServiceExecutor,
  type StartContext,
} from './executor.js';

/**
 * Runs services as local processes: each instance in its own process group (and cgroup when
 * available), its stdout and stderr appended straight to its log file, so it keeps running and
 * logging while no supervisor is there; adopted again by pid + start time.
 *
 * @example
 * const executor = new ProcessExecutor();
 * const running = await executor.start({ stack: 'demo', spec, index: 0, logFile: '/tmp/web.0.log' });
 */
export class ProcessExecutor implements ServiceExecutor {
  readonly kind = 'process';
  readonly launcher: LocalLauncher;
  readonly #attacher = new LocalAttacher();

  constructor(launcher: LocalLauncher = new LocalLauncher()) {
    this.launcher = launcher;
  }

  async start(ctx: StartContext): Promise<RunningInstance> {
    const t = ctx.spec.target;
    const base = Array.isArray(t.command)
      ? new Command({ program: t.command[0] as string, args: t.command.slice(1) })
      : Command.shell((t.command as { shell: string }).shell);
    const command = base
      .withEnv({
        ...(t.env ?? {}),
        HARNESS_STACK: ctx.stack,
        HARNESS_SERVICE: ctx.spec.name,
        HARNESS_INSTANCE: String(ctx.index),
      })
      .withCwd(t.cwd);
    try {
      const follow = readsOutput(ctx.spec);
      const [, handle] = await this.launcher.launch(command, {
        logFiles: { stdout: ctx.logFile, follow },
        name: `${ctx.stack}.${ctx.spec.name}.${ctx.index}`,
      });
      return fromHandle(handle, ctx.logFile, Date.now(), false, follow);
    } catch (e) {
      throw new OrchestrationError(
        'START_FAILED',
        `cannot start ${ctx.spec.name}: ${e instanceof CommandError ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  async adopt(record: InstanceRecord): Promise<RunningInstance | undefined> {
    try {
      const handle = await this.#attacher.attach({
        pid: record.pid,
        startTime: record.startTime,
        ...(record.cgroup !== undefined ? { cgroup: record.cgroup } : {}),
        logFiles: { stdout: record.logFile, follow: record.follow !== false },
        offsets: { stdout: record.offset },
      });
      return fromHandle(handle, record.logFile, record.startedAt, true, record.follow !== false);
    } catch (e) {
      if (e instanceof CommandError && (e.code === 'NOT_RUNNING' || e.code === 'PID_MISMATCH')) {
        // Its cgroup, if empty now, is of no more use (rmdir refuses a populated one).
        if (record.cgroup !== undefined) removeEmptyCgroup(record.cgroup);
        return undefined;
      }
      throw e;
    }
  }
}

function fromHandle(
  handle: ProcessHandle | AttachedHandle,
  logFile: string,
  startedAt: number,
  adopted: boolean,
  follow: boolean,
): RunningInstance {
  return {
    pid: handle.pid,
    startTime: handle.startTime,
    events: handle.events,
    adopted,
    wait: () => handle.wait(),
    stop: async (options) => {
      await handle.stop(options);
      if (adopted && handle.cgroup !== undefined) removeEmptyCgroup(handle.cgroup);
    },
    processes: () => handle.processes(),
    record: () => ({
      kind: 'process',
      pid: handle.pid,
      startTime: handle.startTime,
      cgroup: handle.cgroup,
      logFile,
      offset: handle.logOffsets()?.stdout ?? 0,
      startedAt,
      follow,
    }),
    detach: () => handle.detach(),
  };
}

/** Removes a cgroup folder once no process is left in it; a busy or missing one is left alone. */
function removeEmptyCgroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // still populated, or gone already
  }
}
