import type { CliContext } from '../context.js';
import { connect } from '../daemon-client.js';
import { loadStack } from '../load-stack.js';
import { toStackRequest } from '../stack-spec.js';
import { UsageError } from '../usage-error.js';

/** Options shared by down/start/stop/restart. */
export interface StackOptions {
  readonly file?: string;
}

/** `harness down`: stops every service in reverse dependency order; returns when all are gone. */
export async function down(options: StackOptions, cx: CliContext): Promise<number> {
  const { config } = loadStack(options, cx);
  const client = await connect(cx);
  try {
    try {
      await client.request('stack.down', { stack: config.name });
    } catch (error) {
      if ((error as { code?: string }).code !== 'UNKNOWN_STACK') throw error;
      cx.stderr.write(`harness: stack "${config.name}" is not running\n`);
      return 0;
    }
    cx.stderr.write(`harness: stack "${config.name}" is down\n`);
    return 0;
  } finally {
    client.close();
  }
}

/** `harness start|stop|restart SERVICE…`. */
export async function lifecycle(
  verb: 'start' | 'stop' | 'restart',
  services: readonly string[],
  options: StackOptions,
  cx: CliContext,
): Promise<number> {
  const { config } = loadStack(options, cx);
  for (const s of services) {
    if (config.services[s] === undefined) {
      throw new UsageError(
        'UNKNOWN_SERVICE',
        `no service named ${s} in stack "${config.name}"`,
        `services: ${Object.keys(config.services).join(', ')}`,
      );
    }
  }
  const client = await connect(cx);
  try {
    if (verb === 'stop') {
      await client.request('service.stop', { stack: config.name, services: [...services] });
      cx.stderr.write(`harness: stopped ${services.join(', ')}\n`);
      return 0;
    }
    if (verb === 'restart') {
      try {
        await client.request('service.stop', { stack: config.name, services: [...services] });
      } catch (error) {
        if ((error as { code?: string }).code !== 'UNKNOWN_STACK') throw error;
      }
    }
    // Starting sends the stack's spec too, so it works whether or not the daemon knows the stack.
    const request = toStackRequest(config, services);
    const outcome = await client.request('stack.up', { stack: request.stack, services: request.services });
    for (const s of outcome.services) {
      cx.stderr.write(`${s.ok ? '✔' : '✘'} ${s.service}  ${s.state}${s.reason ? ` — ${s.reason}` : ''}\n`);
    }
    return outcome.ok ? 0 : 1;
  } finally {
    client.close();
  }
}
