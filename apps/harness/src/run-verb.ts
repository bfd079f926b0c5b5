import { type CliContext, processContext } from './context.js';
import { UsageError } from './usage-error.js';

/**
 * Loads a verb's module, runs it and returns the exit code. A user mistake ({@link UsageError})
 * prints one sentence and its detail, exit 2; anything unexpected prints its message (the stack only
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
    const message = error instanceof Error ? error.message : String(error);
    cx.stderr.write(`harness: unexpected error: ${message}\n`);
    if (cx.env.HARNESS_DEBUG && error instanceof Error && error.stack) cx.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
