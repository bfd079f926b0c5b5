import { remoteWorker } from '@harness/protocol';
import type { CliContext } from '../context.js';
import { connect } from '../daemon-client.js';
import { cliVersion } from '../version.js';

/** Options of `harness server`. */
export interface ServerOptions {
  readonly host?: string;
  readonly httpPort?: string;
}

/**
 * `harness server`: the HTTP read side (/health, /metrics, JSON, log streams, dashboard) on its
 * own, reading from the daemon over the protocol. Prints its address, serves until Ctrl-C or until
 * the daemon goes away (then exit 1).
 */
export async function server(options: ServerOptions, cx: CliContext): Promise<number> {
  const port = options.httpPort === undefined ? 0 : Number(options.httpPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    cx.stderr.write(`harness server: --http-port ${JSON.stringify(options.httpPort)} is not a port number\n`);
    return 2;
  }
  const client = await connect(cx);
  const version = cliVersion();
  const { init } = await import('@harness/server');
  let run: Awaited<ReturnType<typeof init>>;
  try {
    run = await init({
      worker: remoteWorker(client),
      version,
      listen: { host: options.host ?? '127.0.0.1', port },
    });
  } catch (error) {
    cx.stderr.write(`harness server: cannot start: ${(error as Error).message}\n`);
    await client.close();
    return 1;
  }
  cx.stdout.write(`harness server: serving ${run.url}\n`);
  const abort = new AbortController();
  let lost = false;
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  void client.closed.then(() => {
    if (!abort.signal.aborted) {
      lost = true;
      cx.stderr.write('harness server: the daemon closed the connection; stopping\n');
      abort.abort();
    }
  });
  try {
    await run(abort.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client.close();
  }
  return lost ? 1 : 0;
}
