import { isLagged } from '@harness/protocol';
import type { UpOutcome } from '@harness/service-orchestration';
import type { CliContext } from '../context.js';
import { connect } from '../daemon-client.js';
import { loadStack } from '../load-stack.js';
import { toStackRequest } from '../stack-spec.js';
import { painter, serviceColor, stateColor } from '../style.js';

/** Options of `harness up`. */
export interface UpOptions {
  readonly file?: string;
  readonly detach?: boolean;
}

/**
 * `harness up [SERVICE…]`: starts the stack (or the named services and their dependencies) in
 * dependency order, showing each state change while it waits. With `-d` it returns once every
 * service is running/healthy (0) or one failed (1, saying which and why); without, it then shows
 * the services' logs, prefixed, until Ctrl-C, and brings the stack down.
 */
export async function up(services: readonly string[], options: UpOptions, cx: CliContext): Promise<number> {
  const { config } = loadStack(options, cx);
  const request = toStackRequest(config, services);
  const client = await connect(cx);
  const err = painter(cx.stderr, cx);
  const width = Math.max(...request.services.map((s) => s.length), 4);
  try {
    const watching = new AbortController();
    const progress = (async () => {
      for await (const e of client.subscribe('events', { stack: config.name }, { signal: watching.signal })) {
        if (isLagged(e) || e.type !== 'state') continue;
        const why = e.reason ? err('gray', ` (${e.reason})`) : '';
        cx.stderr.write(`  ${e.service.padEnd(width)}  ${err(stateColor(e.state), e.state)}${why}\n`);
      }
    })().catch(() => undefined);
    let outcome: UpOutcome;
    try {
      outcome = await client.request('stack.up', { stack: request.stack, services: request.services });
    } finally {
      watching.abort();
      await progress;
    }
    const failed = outcome.services.filter((s) => !s.ok);
    for (const s of outcome.services) {
      const mark = s.ok ? err('green', '✔') : err('red', '✘');
      cx.stderr.write(`${mark} ${s.service.padEnd(width)}  ${s.state}${s.reason ? ` — ${s.reason}` : ''}\n`);
    }
    if (failed.length > 0) {
      cx.stderr.write(
        `harness: ${failed.map((s) => s.service).join(', ')} did not come up (${failed[0]?.reason ?? 'failed'})\n`,
      );
      return 1;
    }
    if (options.detach) return 0;
    return await followUntilInterrupted(client, config.name, request.services, width, cx);
  } finally {
    client.close();
  }
}

async function followUntilInterrupted(
  client: Awaited<ReturnType<typeof connect>>,
  stack: string,
  services: readonly string[],
  width: number,
  cx: CliContext,
): Promise<number> {
  const out = painter(cx.stdout, cx);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for await (const l of client.subscribe(
      'logs',
      { stack, services: [...services], follow: true, tail: 0 },
      { signal: stop.signal },
    )) {
      if (isLagged(l)) continue;
      cx.stdout.write(`${out(serviceColor(l.service), `${l.service.padEnd(width)} |`)} ${l.line}\n`);
    }
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  cx.stderr.write('harness: stopping the stack…\n');
  await client.request('stack.down', { stack });
  cx.stderr.write('harness: stopped\n');
  return 0;
}
