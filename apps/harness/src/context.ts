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

/**
 * Output gathered and written once per turn of the event loop (or every 64 KiB), not one
 * write per line: a fast log then costs a few large writes.
 */
export function batchedWriter(stream: Output): { write(text: string): void; flush(): void } {
  let parts: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (parts.length === 0) return;
    stream.write(parts.join(''));
    parts = [];
    size = 0;
  };
  return {
    write(text) {
      parts.push(text);
      size += text.length;
      if (size >= 64 * 1024) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
