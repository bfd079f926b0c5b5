import { isRunning } from '@harness/command-executor/proc';
import { daemonPaths } from '@harness/protocol';
import type { CliContext } from '../context.js';
import { connect, homeOf, startDaemon, tryConnect } from '../daemon-client.js';

/** Options of `harness daemon status`. */
export interface DaemonOptions {
  readonly json?: boolean;
}

/** `harness daemon start`: starts the daemon unless one runs; prints its pid. */
export async function start(cx: CliContext): Promise<number> {
  const running = await tryConnect(cx);
  if (running !== undefined) {
    const info = await running.request('daemon.info', {});
    running.close();
    cx.stdout.write(`harness daemon already running (pid ${info.pid})\n`);
    return 0;
  }
  const pid = await startDaemon(cx);
  cx.stdout.write(`harness daemon started (pid ${pid})\n`);
  return 0;
}

/**
 * `harness daemon stop`: stops the daemon and waits until its process is gone. Services keep
 * running; the next daemon adopts them.
 */
export async function stop(cx: CliContext): Promise<number> {
  const client = await tryConnect(cx);
  if (client === undefined) {
    cx.stdout.write('harness daemon is not running\n');
    return 0;
  }
  const info = await client.request('daemon.info', {});
  await client.request('daemon.shutdown', {}).catch(() => undefined);
  client.close();
  await whenGone(info.pid, 15_000);
  cx.stdout.write(`harness daemon stopped (pid ${info.pid}); services keep running\n`);
  return 0;
}

/** `harness daemon status`: whether the daemon runs, its pid, version, endpoints. Exit 3 if not. */
export async function status(options: DaemonOptions, cx: CliContext): Promise<number> {
  const client = await tryConnect(cx);
  const paths = daemonPaths(homeOf(cx));
  if (client === undefined) {
    if (options.json) cx.stdout.write(`${JSON.stringify({ running: false, home: paths.home })}\n`);
    else cx.stdout.write(`harness daemon is not running (home ${paths.home})\n`);
    return 3;
  }
  try {
    const info = await client.request('daemon.info', {});
    const stacks = await client.request('stack.list', {});
    if (options.json) {
      cx.stdout.write(`${JSON.stringify({ running: true, ...info, stacks }, null, 2)}\n`);
      return 0;
    }
    cx.stdout.write(
      [
        `harness daemon running (pid ${info.pid}, version ${info.version}, protocol ${info.protocol})`,
        `  home     ${info.home}`,
        `  uptime   ${Math.round((Date.now() - info.startedAt) / 1000)} s`,
        `  http     ${info.httpUrl ?? '-'}`,
        `  stacks   ${stacks.length > 0 ? stacks.join(', ') : '-'}`,
      ].join('\n') + '\n',
    );
    return 0;
  } finally {
    client.close();
  }
}

/**
 * Resolves when the process is gone (a zombie counts as gone). The daemon is not our child, so
 * there is no exit event: /proc is checked with a back-off from 2 ms to 100 ms.
 */
function whenGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let delay = 2;
    const check = (): void => {
      if (!isRunning(pid)) resolve();
      else if (Date.now() > deadline)
        reject(new Error(`the daemon (pid ${pid}) did not exit within ${timeoutMs} ms`));
      else {
        setTimeout(check, delay);
        delay = Math.min(delay * 2, 100);
      }
    };
    check();
  });
}

export { connect };
