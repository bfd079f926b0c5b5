import { isLagged, MAX_TAIL } from '@harness/protocol';
import { batchedWriter, type CliContext } from '../context.js';
import { connect } from '../daemon-client.js';
import { loadStack } from '../load-stack.js';
import { painter, serviceColor } from '../style.js';
import { UsageError } from '../usage-error.js';

/** Options of `harness logs`. */
export interface LogsOptions {
  readonly file?: string;
  readonly follow?: boolean;
  /** Lines of each service's log to show first (default 100; all with `-n all`). */
  readonly lines?: string;
}

/** `harness logs [SERVICE…]`: the last lines of each service's log, then new ones with --follow. */
export async function logs(
  services: readonly string[],
  options: LogsOptions,
  cx: CliContext,
): Promise<number> {
  const { config } = loadStack(options, cx);
  for (const s of services) {
    if (config.services[s] === undefined) {
      throw new UsageError('UNKNOWN_SERVICE', `no service named ${s} in stack "${config.name}"`);
    }
  }
  const n = options.lines === undefined ? 100 : options.lines === 'all' ? MAX_TAIL : Number(options.lines);
  if (!Number.isInteger(n) || n < 0 || n > MAX_TAIL)
    throw new UsageError(
      'INVALID_ARGUMENT',
      `-n ${options.lines} is not a number of lines (0 to ${MAX_TAIL}, or all)`,
    );
  const names = services.length > 0 ? services : Object.keys(config.services);
  const width = Math.max(...names.map((s) => s.length), 4);
  const paint = painter(cx.stdout, cx);
  const client = await connect(cx);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  const out = batchedWriter(cx.stdout);
  const follow = options.follow === true;
  try {
    let tail = n;
    for (;;) {
      try {
        // wait: every line, at the pace this process writes them out (nothing is dropped).
        const params = { stack: config.name, services: [...names], tail, follow, wait: true };
        for await (const l of client.subscribe('logs', params, { signal: stop.signal })) {
          if (isLagged(l)) {
            out.flush();
            cx.stderr.write(`harness: ${l.lagged} lines were dropped (this reader was too slow)\n`);
            continue;
          }
          const prefix =
            names.length > 1 ? `${paint(serviceColor(l.service), `${l.service.padEnd(width)} |`)} ` : '';
          out.write(`${prefix}${l.line}\n`);
        }
        return 0;
      } catch (error) {
        if (stop.signal.aborted) return 0;
        if ((error as { code?: string }).code !== 'UNKNOWN_STACK') throw error;
        if (!follow) {
          cx.stderr.write(`harness: stack "${config.name}" is not running\n`);
          return 1;
        }
      }
      // --follow before the stack exists: wait for its first event (with the last one replayed,
      // so a stack that came up since the refusal is not missed). The daemon has never run it,
      // so its log files are new — everything in them by then is shown.
      cx.stderr.write(`harness: waiting for stack "${config.name}" to start…\n`);
      const events = client.subscribe('events', { stack: config.name, replay: 1 }, { signal: stop.signal });
      try {
        for await (const e of events) if (!isLagged(e)) break;
      } catch (error) {
        if (stop.signal.aborted) return 0;
        throw error;
      }
      if (stop.signal.aborted) return 0;
      tail = MAX_TAIL;
    }
  } finally {
    out.flush();
    process.off('SIGINT', onSignal);
    client.close();
  }
}
