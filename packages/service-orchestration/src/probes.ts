import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { Command, type LocalLauncher } from '@harness/command-executor';
import type { ProbeSpec } from './spec.js';

/** The outcome of one probe. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly message: string;
  readonly durationMs: number;
}

/** A probe that runs once: exec, http or tcp (a `log` probe is driven by output instead). */
export type ActiveProbe = Extract<ProbeSpec, { kind: 'exec' | 'http' | 'tcp' }>;

/**
 * Runs one probe with its timeout enforced: a command that must exit 0, a GET that must answer
 * 2xx/3xx (or one of `expectStatus`), or a TCP connection that must open.
 *
 * @example
 * await runProbe({ kind: 'tcp', host: '127.0.0.1', port: 5432, intervalMs: 1000, timeoutMs: 500, retries: 3, startPeriodMs: 0 }, launcher)
 */
export async function runProbe(probe: ActiveProbe, launcher: LocalLauncher): Promise<ProbeResult> {
  const t0 = performance.now();
  const done = (ok: boolean, message: string): ProbeResult => ({
    ok,
    message,
    durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
  });
  switch (probe.kind) {
    case 'exec': {
      const cmd = Array.isArray(probe.command)
        ? new Command({ program: probe.command[0] as string, args: probe.command.slice(1) })
        : Command.shell((probe.command as { shell: string }).shell);
      try {
        const r = await launcher.run(cmd, { timeout: probe.timeoutMs, killAfter: 100, cgroup: 'off' });
        if (r.timedOut) return done(false, `timed out after ${probe.timeoutMs} ms`);
        const tail = [...r.stdout, ...r.stderr].slice(-1)[0] ?? '';
        return done(
          r.code === 0,
          r.code === 0 ? 'exit code 0' : `exit code ${r.code ?? r.signal}${tail ? `: ${tail}` : ''}`,
        );
      } catch (e) {
        return done(false, (e as Error).message);
      }
    }
    case 'http':
      return done(...(await httpProbe(probe.url, probe.timeoutMs, probe.expectStatus)));
    case 'tcp':
      return done(...(await tcpProbe(probe.host, probe.port, probe.timeoutMs)));
  }
}

function httpProbe(url: string, timeoutMs: number, expect?: readonly number[]): Promise<[boolean, string]> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean, message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve([ok, message]);
    };
    const make = url.startsWith('https:') ? httpsRequest : request;
    const req = make(
      url,
      { method: 'GET', agent: false, headers: { 'user-agent': 'harness-probe' } },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        const ok = expect !== undefined ? expect.includes(status) : status >= 200 && status < 400;
        finish(ok, `HTTP ${status}`);
      },
    );
    const timer = setTimeout(() => finish(false, `timed out after ${timeoutMs} ms`), timeoutMs);
    req.on('error', (e) => finish(false, e.message));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<[boolean, string]> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean, message: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve([ok, message]);
    };
    const timer = setTimeout(() => finish(false, `timed out after ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => finish(true, `connected to ${host}:${port}`));
    socket.once('error', (e) => finish(false, e.message));
  });
}
