/** Where a verb writes. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What a verb may use of its process: kept in one value so verbs can run in tests as they do for users. */
export interface CliContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
}

/**
 * The context of the running process.
 *
 * @example
 * await validate({}, processContext());
 */
export function processContext(): CliContext {
  return { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr };
}
