import { isLagged } from '@harness/protocol';
import type { CliContext } from '../context.js';
import { connect } from '../daemon-client.js';
import { painter, stateColor } from '../style.js';

/** Options of `harness events`. */
export interface EventsOptions {
  readonly json?: boolean;
  readonly stack?: string;
}

/** `harness events`: every lifecycle event as it happens (one JSON object per line with --json). */
export async function events(options: EventsOptions, cx: CliContext): Promise<number> {
  const client = await connect(cx);
  const paint = painter(cx.stdout, cx);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    const params = options.stack === undefined ? {} : { stack: options.stack };
    for await (const e of client.subscribe('events', params, { signal: stop.signal })) {
      if (isLagged(e)) {
        cx.stderr.write(`harness: ${e.lagged} events were dropped (this reader was too slow)\n`);
        continue;
      }
      if (options.json) {
        cx.stdout.write(`${JSON.stringify(e)}\n`);
        continue;
      }
      const at = new Date(e.time).toISOString().slice(11, 23);
      const who = `${e.stack}/${e.service}${e.instance > 0 ? `.${e.instance}` : ''}`;
      let what: string;
      switch (e.type) {
        case 'state':
          what = `${e.previous} → ${paint(stateColor(e.state), e.state)}${e.reason ? ` (${e.reason})` : ''}`;
          break;
        case 'health':
          what = `${e.probe} ${e.ok ? 'ok' : 'failed'}: ${e.message} (${e.durationMs} ms)`;
          break;
        case 'spawned':
          what = `${e.adopted ? 'adopted' : 'spawned'} pid ${e.pid ?? '?'}`;
          break;
        case 'exit':
          what = `exited ${e.signal ?? `code ${e.code ?? 'unknown'}`} after ${e.ranMs} ms`;
          break;
        case 'restart':
          what = `restart #${e.attempt} in ${e.delayMs} ms (${e.reason})`;
          break;
        case 'stop-waiting':
          what = `stop waiting on ${e.processes.map((p) => `${p.comm}[${p.pid}]`).join(', ')}`;
          break;
      }
      cx.stdout.write(`${at} ${who} ${what}\n`);
    }
    return 0;
  } catch (error) {
    if (stop.signal.aborted) return 0;
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    client.close();
  }
}
