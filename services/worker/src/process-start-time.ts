import { readFileSync } from 'node:fs';

/**
 * The start time of a process in clock ticks after boot (field 22 of `/proc/PID/stat`), which
 * with the pid names one process for good (pids are reused); undefined when it is gone.
 *
 * @example
 * processStartTime(process.pid); // e.g. 123456
 */
export function processStartTime(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: it runs up to the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const value = Number(fields[19]);
  return Number.isFinite(value) ? value : undefined;
}
