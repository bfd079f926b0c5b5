import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, watch } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { daemonPaths, defaultHome, HarnessClient, ProtocolError } from '@harness/protocol';
import type { CliContext } from './context.js';

/**
 * V8 flags of the daemon. A 1 MiB young generation (the default is 16 MiB) keeps a long-lived,
 * mostly idle process small: about a quarter less memory with 1000 services, and a smaller
 * process also forks its services faster. V8's memory reducer, which goes on collecting for
 * ~10 s after each burst of work, is replaced by one collection when the daemon falls quiet
 * (see collectWhenQuiet): an idle daemon then does nothing at all.
 */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--no-memory-reducer', '--expose-gc'];

/** The daemon could not be reached or started: exit code 3. */
export class DaemonUnavailable extends Error {
  override readonly name = 'DaemonUnavailable';
  readonly code = 'DAEMON_UNAVAILABLE';
  readonly detail: string | undefined;

  constructor(message: string, detail?: string) {
    super(message);
    this.detail = detail;
  }
}

/** The daemon's home folder for this invocation (`HARNESS_HOME`, else `~/.harness`). */
export function homeOf(cx: CliContext): string {
  return defaultHome(cx.env);
}

const START_TIMEOUT_MS = 20_000;

/** Connects to the local daemon over its Unix socket, or undefined when none answers. */
export async function tryConnect(cx: CliContext): Promise<HarnessClient | undefined> {
  const paths = daemonPaths(homeOf(cx));
  if (!existsSync(paths.socket) || !existsSync(paths.token)) return undefined;
  const token = readFileSync(paths.token, 'utf8').trim();
  try {
    return await HarnessClient.connect(
      { socketPath: paths.socket },
      { token, timeoutMs: 5000, clientName: 'harness-cli' },
    );
  } catch (error) {
    if (
      error instanceof ProtocolError &&
      error.code !== 'DAEMON_UNAVAILABLE' &&
      error.code !== 'CONNECTION_CLOSED'
    )
      throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || error instanceof ProtocolError) return undefined;
    throw error;
  }
}

/**
 * Connects to the daemon, starting it first when none runs (detached, in its own process group,
 * with its output in `daemon.log`). Waits for it by watching for its socket and connecting — no
 * sleeping. Progress goes to stderr when it has to start one.
 */
export async function connect(cx: CliContext, options: { autoStart?: boolean } = {}): Promise<HarnessClient> {
  const existing = await tryConnect(cx);
  if (existing !== undefined) return existing;
  if (options.autoStart === false) {
    throw new DaemonUnavailable('the harness daemon is not running', 'start it with `harness daemon start`');
  }
  await startDaemon(cx);
  const client = await tryConnect(cx);
  if (client === undefined) throw new DaemonUnavailable('the harness daemon started but does not answer');
  return client;
}

/** Starts the daemon (`harness solo`) in the background and resolves once it answers. */
export async function startDaemon(cx: CliContext): Promise<number> {
  const home = homeOf(cx);
  const paths = daemonPaths(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if (cx.stderr.isTTY) cx.stderr.write('harness: starting the daemon…\n');
  const log = openSync(paths.logFile, 'a', 0o600);
  const bin = fileURLToPath(new URL('./bin.js', import.meta.url));
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, bin, 'solo', '--home', home], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...cx.env, HARNESS_HOME: home },
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new DaemonUnavailable('could not start the harness daemon');
  let exited: { code: number | null } | undefined;
  child.once('exit', (code) => {
    exited = { code };
  });
  // Whatever happens next, this process does not wait for the detached daemon to end.
  child.unref();
  await new Promise<void>((resolve, reject) => {
    const watcher = watch(home);
    const timer = setTimeout(
      () =>
        finish(
          new DaemonUnavailable(
            `the harness daemon did not answer within ${START_TIMEOUT_MS / 1000} s`,
            tail(paths.logFile),
          ),
        ),
      START_TIMEOUT_MS,
    );
    let trying = false;
    const finish = (error?: Error): void => {
      done = true;
      clearTimeout(timer);
      watcher.close();
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    // A change of the folder during an attempt is not dropped: a failed attempt tries again
    // (the socket may have appeared, or started listening, meanwhile).
    let again = false;
    let done = false;
    const attempt = async (): Promise<void> => {
      if (trying) {
        again = true;
        return;
      }
      if (done || !existsSync(paths.socket)) return;
      trying = true;
      const c = await tryConnect(cx).catch(() => undefined);
      trying = false;
      if (c !== undefined) {
        c.close();
        finish();
      } else if (again) {
        again = false;
        void attempt();
      }
    };
    const onExit = (): void => {
      finish(
        new DaemonUnavailable(
          `the harness daemon exited at start (code ${exited?.code})`,
          tail(paths.logFile),
        ),
      );
    };
    child.once('exit', onExit);
    watcher.on('change', () => void attempt());
    void attempt();
  });
  return pid;
}

function tail(file: string): string | undefined {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return `see ${file}:\n    ${lines.slice(-5).join('\n    ')}`;
  } catch {
    return undefined;
  }
}
