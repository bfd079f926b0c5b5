import { type CliContext, processContext } from './context.js';
import { UsageError } from './usage-error.js';

/**
 * Loads a verb's module, runs it and returns the exit code. A user mistake ({@link UsageError})
 * prints one sentence and its detail, exit 2; an unreachable daemon exit 3; an error the daemon
 * reported, exit 1 with its message and code; anything unexpected prints its message (the stack only
 * when `HARNESS_DEBUG` is set), exit 1.
 *
 * @example
 * program.command('ps').action(async () => {
 *   process.exitCode = await runVerb(() => import('./commands/ps.js'), (m, cx) => m.ps(cx));
 * });
 */
export async function runVerb<M>(
  load: () => Promise<M>,
  run: (module: M, cx: CliContext) => Promise<number>,
  cx: CliContext = processContext(),
): Promise<number> {
  try {
    return await run(await load(), cx);
  } catch (error) {
    if (error instanceof UsageError) {
      cx.stderr.write(`harness: ${error.message}\n${error.detail ? `  ${error.detail}\n` : ''}`);
      return 2;
    }
    const code = (error as { code?: unknown }).code;
    if (code === 'CONFIG_INVALID') return 1; // its problems are printed already
    if (code === 'DAEMON_UNAVAILABLE') {
      const detail = (error as { detail?: string }).detail;
      cx.stderr.write(`harness: ${(error as Error).message}\n${detail ? `  ${detail}\n` : ''}`);
      return 3;
    }
    if (error instanceof Error && error.name === 'ProtocolError') {
      cx.stderr.write(`harness: ${error.message} (${String(code)})\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    cx.stderr.write(`harness: unexpected error: ${message}\n`);
    if (cx.env.HARNESS_DEBUG && error instanceof Error && error.stack) cx.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
