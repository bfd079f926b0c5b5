import type { InstanceInfo } from '@harness/service-orchestration';
import type { CliContext } from '../context.js';
import { connect } from '../daemon-client.js';
import { stackNameOf } from '../config-file.js';
import { formatUptime, painter, stateColor, table } from '../style.js';

/** Options of `harness ps`. */
export interface PsOptions {
  readonly file?: string;
  readonly json?: boolean;
}

/**
 * `harness ps`: one row per service replica — state, health, pid, restarts, uptime, ports. With
 * `--json`, an array of objects with `service`, `state`, `health`, `pid`, `restarts` and more.
 */
export async function ps(options: PsOptions, cx: CliContext): Promise<number> {
  const stack = await stackNameOf(options, cx);
  const client = await connect(cx);
  try {
    let rows: InstanceInfo[];
    try {
      rows = await client.request('status', { stack });
    } catch (error) {
      if ((error as { code?: string }).code !== 'UNKNOWN_STACK') throw error;
      rows = [];
    }
    if (options.json) {
      const out = rows.map((r) => ({
        stack: r.stack,
        service: r.service,
        instance: r.instance,
        state: r.state,
        health: r.health,
        pid: r.pid ?? null,
        restarts: r.restarts,
        uptimeMs: r.uptimeMs ?? null,
        ports: r.ports,
        reason: r.reason ?? null,
        counters: r.counters,
      }));
      cx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      cx.stdout.write(`stack "${stack}" is not running (harness up starts it)\n`);
      return 0;
    }
    const paint = painter(cx.stdout, cx);
    const multi = new Set(rows.map((r) => r.service)).size !== rows.length;
    const lines = [['SERVICE', 'STATE', 'HEALTH', 'PID', 'RESTARTS', 'UPTIME', 'PORTS', 'REASON']];
    for (const r of rows) {
      lines.push([
        multi ? `${r.service}.${r.instance}` : r.service,
        paint(stateColor(r.state), r.state),
        r.health,
        r.pid === undefined ? '-' : String(r.pid),
        String(r.restarts),
        formatUptime(r.uptimeMs),
        Object.entries(r.ports)
          .map(([k, v]) => `${k}:${v}`)
          .join(',') || '-',
        r.reason ?? '',
      ]);
    }
    cx.stdout.write(`${table(lines)}\n`);
    return 0;
  } finally {
    client.close();
  }
}
