import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { daemonPaths, defaultHome } from '@harness/protocol';
import { collectWhenQuiet } from '../idle-gc.js';
import { cliVersion } from '../version.js';
import type { CliContext } from '../context.js';

/** Options of `harness solo`. */
export interface SoloOptions {
  readonly home?: string;
  /** TCP port of the WSS client API (default: any free port, written to endpoint.json). */
  readonly port?: string;
  readonly host?: string;
  /** Port of the HTTP read side (/health, /metrics, dashboard); default any free port. */
  readonly httpPort?: string;
  /** Milliseconds the other services get to finish once one has ended (default 10 000). */
  readonly shutdownTimeout?: string;
  /** Run the HTTP read side too (default true; `harness controller` runs without it). */
  readonly http?: boolean;
  /**
   * Run a worker in this process (default true). `harness controller --no-worker` runs none:
   * standalone workers (`harness worker --controller …`) register and run the services. Without
   * a local worker there is no HTTP side either (it reads from the local worker).
   */
  readonly worker?: boolean;
  /** The name of the local worker's host, what calls route by (default the machine's name). */
  readonly workerHost?: string;
}

type Run = (signal: AbortSignal) => Promise<void>;

/**
 * With `--expose-gc` (how the CLI starts the daemon, with V8's memory reducer off), collects the
 * garbage once after each burst of service events: see {@link collectWhenQuiet}.
 */
function collectAfterBursts(events: AsyncIterable<unknown>): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  const touch = collectWhenQuiet({ gc });
  void (async () => {
    for await (const _ of events) touch();
  })().catch(() => undefined);
}

function port(value: string | undefined, name: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} ${JSON.stringify(value)} is not a port number`);
  return n;
}

/**
 * `harness solo`: the daemon in one process. Inits the worker, the server and the controller —
 * if any init fails, nothing runs and the error is printed — then races their runs: the first to
 * settle aborts the shared signal, the others get a shutdown deadline, and the exit code says
 * whether any failed. SIGINT/SIGTERM abort. Services keep running when the daemon stops: the
 * next daemon adopts them.
 */
export async function solo(options: SoloOptions, cx: CliContext): Promise<number> {
  const home = options.home ?? defaultHome(cx.env);
  const paths = daemonPaths(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const v = cliVersion();
  const abort = new AbortController();
  const inited: Run[] = [];
  const local = options.worker !== false;
  const http = local && options.http !== false;
  const names: string[] = [];
  const say = (line: string): void =>
    void cx.stderr.write(`${new Date().toISOString()} harness solo: ${line}\n`);
  try {
    const [{ init: initWorker }, { init: initServer }, { init: initController }] = await Promise.all([
      import('@harness/worker'),
      import('@harness/server'),
      import('@harness/controller'),
    ]);
    const worker = local
      ? await initWorker({
          stateDir: paths.stateDir,
          ...(options.workerHost === undefined ? {} : { host: options.workerHost }),
        })
      : undefined;
    if (worker !== undefined) {
      inited.push(worker);
      names.push('worker');
      collectAfterBursts(worker.api.events({ signal: abort.signal }));
    }
    const startedAt = Date.now();
    const server =
      worker === undefined || !http
        ? undefined
        : await initServer({
            worker: worker.api,
            version: v,
            startedAt,
            listen: { host: options.host ?? '127.0.0.1', port: port(options.httpPort, '--http-port') },
          });
    if (server !== undefined) {
      inited.push(server);
      names.push('server');
    }
    const controller = await initController({
      home,
      ...(worker === undefined ? {} : { worker: worker.api, host: worker.host }),
      version: v,
      listen: { host: options.host ?? '127.0.0.1', port: port(options.port, '--port') },
      info: () => (server === undefined ? {} : { httpUrl: server.url }),
      onShutdownRequest: () => abort.abort(),
    });
    inited.push(controller);
    names.push('controller');
    const fingerprint = controller.endpoint.certFingerprint;
    say(
      `ready (pid ${process.pid}); client API ${controller.endpoint.url ?? ''}` +
        `${fingerprint === undefined ? '' : ` (certificate sha256 ${fingerprint})`} and ${paths.socket}; ` +
        `http ${server?.url ?? 'off'}; ` +
        (worker === undefined
          ? 'no local worker: waiting for `harness worker --controller` to register'
          : `local worker on host ${worker.host}`),
    );
  } catch (error) {
    cx.stderr.write(`harness solo: cannot start: ${(error as Error).message}\n`);
    // Release what the inits that succeeded hold (ports, state): their runs end at once.
    abort.abort();
    await Promise.allSettled(inited.map((run) => run(abort.signal)));
    return 1;
  }
  writeFileSync(paths.pidFile, `${process.pid}\n`, { mode: 0o600 });
  const onSignal = (sig: NodeJS.Signals): void => {
    say(`${sig}: stopping (services keep running)`);
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runs = inited.map((run, i) =>
    run(abort.signal).then(
      () => ({ name: names[i], error: undefined as unknown }),
      (error: unknown) => ({ name: names[i], error }),
    ),
  );
  const first = await Promise.race(runs);
  if (first.error !== undefined)
    say(`${first.name} failed: ${(first.error as Error).message ?? first.error}`);
  abort.abort();
  const deadline = Number(options.shutdownTimeout ?? 10_000);
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    Promise.all(runs),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), deadline);
    }),
  ]);
  clearTimeout(timer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  rmSync(paths.pidFile, { force: true });
  if (settled === undefined) {
    say(`shutdown deadline (${deadline} ms) passed; exiting`);
    return 1;
  }
  const failed = settled.filter((r) => r.error !== undefined);
  for (const f of failed) say(`${f.name} failed: ${(f.error as Error).message ?? f.error}`);
  say('stopped');
  return failed.length > 0 ? 1 : 0;
}
