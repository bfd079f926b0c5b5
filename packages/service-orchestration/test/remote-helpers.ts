/**
 * Helpers of the tests against a real dockerd and a real sshd: waiting for a log line with an
 * upper bound, and the events of one service.
 */
import type { ManagerEvent, ServiceManager } from '../src/index.js';

/**
 * Resolves with the lines of a service's log up to the first that matches (from its start), or
 * rejects after the upper bound naming what it saw.
 */
export async function untilLogLine(
  manager: ServiceManager,
  stack: string,
  service: string,
  match: (line: string) => boolean,
  timeoutMs = 30_000,
): Promise<string[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const seen: string[] = [];
  try {
    for await (const l of manager.logs(stack, service, {
      follow: true,
      tail: 100_000,
      signal: abort.signal,
    })) {
      seen.push(l.line);
      if (match(l.line)) return seen;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  throw new Error(
    `no matching line of ${service} within ${timeoutMs} ms; saw: ${JSON.stringify(seen.slice(-20))}`,
  );
}

/** The events of one service so far. */
export function serviceEvents(manager: ServiceManager, service: string): ManagerEvent[] {
  return manager.events.recent().filter((e) => e.service === service);
}

/** Whether an event is of this type (a type guard for `waitForEvent`). */
export function ofType<T extends ManagerEvent['type']>(
  type: T,
  service: string,
): (e: ManagerEvent) => e is Extract<ManagerEvent, { type: T }> {
  return (e): e is Extract<ManagerEvent, { type: T }> => e.type === type && e.service === service;
}
