/**
 * POSIX shell quoting. The result is read back by any POSIX shell (sh, dash, bash, zsh in sh
 * mode) as exactly the original bytes: spaces, quotes, `$`, backslashes, newlines and unicode
 * included. NUL cannot be part of an argument on Unix and is rejected.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument for a POSIX shell.
 *
 * @example
 * shellQuote("it's $HOME") // => 'it'\''s $HOME'
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new TypeError('an argument cannot contain a NUL byte');
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Quotes and joins an argument vector into one shell command line.
 *
 * @example
 * shellJoin(['echo', 'a b', '$x']) // => "echo 'a b' '$x'"
 */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
