import { type HarnessClient, isLagged, MAX_TAIL } from '@harness/protocol';
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
  const layout = { width: Math.max(...names.map((s) => s.length), 4), prefixed: names.length > 1 };
  const client = await connect(cx);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  const follow = options.follow === true;
  try {
    let tail = n;
    for (;;) {
      try {
        const params = { stack: config.name, services: names, tail, follow };
        await printLogs(client, params, layout, stop.signal, cx);
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
    process.off('SIGINT', onSignal);
    client.close();
  }
}

/** What {@link printLogs} reads: the `logs` params but `wait`, which it always sets. */
export interface LogsRead {
  readonly stack: string;
  readonly services: readonly string[];
  readonly tail: number;
  readonly follow: boolean;
}

/** How {@link printLogs} shows a line. */
export interface LogsLayout {
  /** Width the service names are padded to in the prefix. */
  readonly width: number;
  /** Whether each line starts with `SERVICE |` (coloured on a terminal). */
  readonly prefixed: boolean;
}

/**
 * Writes the lines of one `logs` subscription to stdout, as `harness logs` and `harness up` (in
 * the foreground) show them. It subscribes with `wait`: every line, at the pace this process
 * writes them out: the daemon waits for this reader instead of dropping lines. Should some be
 * lost on the way all the same, stderr says how many. Resolves when the subscription ends (a
 * read without `follow` is done, or `signal` aborted); rejects with its error (`UNKNOWN_STACK`,
 * a lost connection, …).
 */
export async function printLogs(
  client: HarnessClient,
  read: LogsRead,
  layout: LogsLayout,
  signal: AbortSignal,
  cx: CliContext,
): Promise<void> {
  const paint = painter(cx.stdout, cx);
  const out = batchedWriter(cx.stdout);
  const params = { ...read, services: [...read.services], wait: true };
  try {
    for await (const l of client.subscribe('logs', params, { signal })) {
      if (isLagged(l)) {
        out.flush();
        cx.stderr.write(`harness: ${l.lagged} lines were dropped (this reader was too slow)\n`);
        continue;
      }
      const prefix = layout.prefixed
        ? `${paint(serviceColor(l.service), `${l.service.padEnd(layout.width)} |`)} `
        : '';
      out.write(`${prefix}${l.line}\n`);
    }
  } finally {
    out.flush();
  }
}
