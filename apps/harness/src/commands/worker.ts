import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DaemonPaths, daemonPaths, defaultHome, HarnessClient } from '@harness/protocol';
import { cliVersion } from '../version.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../usage-error.js';

/** Options of `harness worker`. */
export interface WorkerCommandOptions {
  /** `wss://HOST:PORT` of the controller's client API. */
  readonly controller?: string;
  /** The controller's token file (default `<home>/token`). */
  readonly tokenFile?: string;
  /** SHA-256 of the controller's certificate (default: from `endpoint.json` next to the token file). */
  readonly certFingerprint?: string;
  /** The worker's own folder: its state in `<home>/state` (default `$HARNESS_HOME` or `~/.harness`). */
  readonly home?: string;
  /** The host name this worker registers (default the machine's name). */
  readonly host?: string;
}

/** The token in a token file; a usage error naming the file when it cannot be read. */
function readToken(file: string): string {
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token !== '') return token;
  } catch (error) {
    throw new UsageError(
      'TOKEN_UNREADABLE',
      `cannot read the controller's token from ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      "copy the controller's HARNESS_HOME/token here (mode 0600), or pass --token-file FILE",
    );
  }
  throw new UsageError('TOKEN_UNREADABLE', `the token file ${file} is empty`);
}

/** The pin: given, or from the controller's endpoint.json next to the token when it is for this URL. */
function fingerprintFor(url: string, tokenFile: string, given: string | undefined): string {
  if (given !== undefined) return given;
  const endpoint = join(dirname(tokenFile), 'endpoint.json');
  if (existsSync(endpoint)) {
    try {
      const e = JSON.parse(readFileSync(endpoint, 'utf8')) as { url?: unknown; certFingerprint?: unknown };
      if (e.url === url && typeof e.certFingerprint === 'string') return e.certFingerprint;
    } catch {
      // Unreadable: ask for the flag below.
    }
  }
  throw new UsageError(
    'FINGERPRINT_REQUIRED',
    "--cert-fingerprint is required: the worker pins the controller's certificate",
    'the controller prints it when it starts ("certificate sha256 …") and keeps it in its HARNESS_HOME/endpoint.json',
  );
}

/**
 * Refuses a home whose state a running daemon's own worker already manages: two workers on one
 * state folder would both supervise the same services. A controller without a worker of its own
 * (`harness controller --no-worker`) may share the home.
 */
async function checkStateFree(paths: DaemonPaths): Promise<void> {
  if (!existsSync(paths.socket) || !existsSync(paths.token)) return;
  let client: HarnessClient;
  try {
    client = await HarnessClient.connect(
      { socketPath: paths.socket },
      { token: readFileSync(paths.token, 'utf8').trim(), timeoutMs: 5000, clientName: 'harness-worker' },
    );
  } catch {
    return; // A socket left by a daemon that is gone.
  }
  try {
    const hosts = await client.request('hosts.list').catch(() => []);
    const own = hosts.find((h) => h.local);
    if (own !== undefined) {
      throw new UsageError(
        'STATE_IN_USE',
        `the daemon running on ${paths.home} has its own worker (host ${own.host}) on ${paths.stateDir}`,
        'give this worker another --home, or run that daemon as `harness controller --no-worker`',
      );
    }
  } finally {
    await client.close();
  }
}

/**
 * `harness worker --controller wss://HOST:PORT`: a standalone worker. Runs services on this
 * machine for a controller elsewhere (or here): connects with the controller's token and pinned
 * certificate, registers its host, and takes the calls for it. Reconnects with backoff when the
 * controller goes away; the services keep running meanwhile. Runs until Ctrl-C / SIGTERM (exit 0);
 * the services keep running then too, and the next worker on the same home adopts them.
 */
export async function worker(options: WorkerCommandOptions, cx: CliContext): Promise<number> {
  const url = options.controller;
  if (url === undefined || !url.startsWith('wss://')) {
    throw new UsageError(
      'CONTROLLER_URL',
      `--controller must be the controller's wss:// address, got ${JSON.stringify(url ?? '')}`,
      'e.g. --controller wss://10.0.0.2:7443 (see the "ready" line of harness controller)',
    );
  }
  const home = options.home ?? defaultHome(cx.env);
  const paths = daemonPaths(home);
  const tokenFile = options.tokenFile ?? paths.token;
  const token = readToken(tokenFile);
  const certFingerprint = fingerprintFor(url, tokenFile, options.certFingerprint);
  await checkStateFree(paths);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const say = (line: string): void =>
    void cx.stderr.write(`${new Date().toISOString()} harness worker: ${line}\n`);
  const { init } = await import('@harness/worker');
  let run: Awaited<ReturnType<typeof init>>;
  try {
    run = await init({
      stateDir: paths.stateDir,
      ...(options.host === undefined ? {} : { host: options.host }),
      version: cliVersion(),
      controller: { url, token, certFingerprint },
      onController: (e) => {
        if (e.type === 'registered') say(`registered host ${e.host} with ${e.url} (controller ${e.version})`);
        else if (e.type === 'disconnected') say(`lost the controller: ${e.reason}; services keep running`);
        else
          say(
            `reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt})${e.error === undefined ? '' : `: ${e.error}`}`,
          );
      },
    });
  } catch (error) {
    cx.stderr.write(`harness worker: cannot start: ${(error as Error).message}\n`);
    return 1;
  }
  say(`ready (pid ${process.pid}); host ${run.host}, state in ${paths.stateDir}`);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    say(`${sig}: stopping (services keep running)`);
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await run(abort.signal);
  } catch (error) {
    say(`failed: ${(error as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  say('stopped');
  return 0;
}
