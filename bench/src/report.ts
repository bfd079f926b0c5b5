import type { ToolName } from './tool.js';
import { median, min, quantile } from './util.js';
import type { Results, Samples } from './workloads.js';

type Stat = 'median' | 'p95';
interface RowSpec {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly stat?: Stat;
  /** Higher is better (throughput). */
  readonly higher?: boolean;
  readonly target: string;
  /** Whether the target is met, from harness's value, the ratio to the best peer and the floor. */
  readonly met?: (h: number, ratio: number, floor: number) => boolean;
}

const ROWS: readonly RowSpec[] = [
  {
    key: 'cold',
    label: '1. cold start, 100 services (incl. daemon spawn)',
    unit: 'ms',
    target: 'ratio ≤ 0.33',
    met: (_h, r) => r <= 0.33,
  },
  {
    key: 'warm',
    label: '1. warm start, 100 services (daemon up)',
    unit: 'ms',
    target: 'ratio ≤ 0.33',
    met: (_h, r) => r <= 0.33,
  },
  {
    key: 'ps',
    label: '2. status listing, 100 services',
    unit: 'ms',
    target: 'ratio ≤ 0.5 and ≤ 150 ms',
    met: (h, r) => r <= 0.5 && h <= 150,
  },
  {
    key: 'crash',
    label: '3. crash → new pid, p50',
    unit: 'ms',
    target: 'ratio ≤ 0.33 and ≤ 20 ms',
    met: (h, r) => r <= 0.33 && h <= 20,
  },
  { key: 'crash', label: '3. crash → new pid, p95', unit: 'ms', stat: 'p95', target: '—' },
  { key: 'rss100', label: '4. daemon RSS, 100 services', unit: 'MiB', target: '—' },
  {
    key: 'rss1000',
    label: '4. daemon RSS, 1000 services',
    unit: 'MiB',
    target: 'ratio ≤ 0.5 and ≤ 150 MB',
    met: (h, r) => r <= 0.5 && h <= 143,
  },
  { key: 'cold1000', label: '4. cold start, 1000 services', unit: 'ms', target: '—' },
  {
    key: 'idle',
    label: '4. daemon CPU idle, 100 services',
    unit: '% of a core',
    target: '≤ 0.1 %',
    met: (h) => h <= 0.1,
  },
  {
    key: 'stop',
    label: '5. stop 100 services, all gone',
    unit: 'ms',
    target: 'ratio ≤ 0.33',
    met: (_h, r) => r <= 0.33,
  },
  {
    key: 'logs',
    label: '6. log throughput, 2 000 000 lines to the log file',
    unit: 'lines/s',
    higher: true,
    target: '≥ 3× best peer and ≥ 50 % of cat',
    met: (h, r, f) => r >= 3 && h >= 0.5 * f,
  },
  {
    key: 'follow',
    label: '6. … delivered to `harness logs --follow`',
    unit: 'lines/s',
    higher: true,
    target: '—',
  },
  {
    key: 'chain',
    label: '7. 10-deep healthy chain, overhead per edge',
    unit: 'ms',
    target: '≤ 20 ms/edge',
    met: (h) => h <= 20,
  },
  { key: 'chain10', label: '7. 10-deep chain, `up -d` total', unit: 'ms', target: '—' },
  { key: 'listen', label: "7. a chain server's own time to listen (floor)", unit: 'ms', target: '—' },
];

const PEERS: readonly ToolName[] = ['pm2', 'supervisord'];

function value(s: Samples, who: ToolName | 'floor', stat: Stat): number | undefined {
  const xs = s[who];
  if (!xs || xs.length === 0) return undefined;
  return stat === 'p95' ? quantile(xs, 0.95) : median(xs);
}

function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '—';
  if (Math.abs(x) >= 10_000) return Math.round(x).toLocaleString('en-US');
  return x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3);
}

function cell(s: Samples, who: ToolName | 'floor', spec: RowSpec): string {
  const v = value(s, who, spec.stat ?? 'median');
  const xs = s[who];
  if (v === undefined || !xs) return '—';
  if (spec.stat === 'p95' || xs.length < 2) return fmt(v);
  const best = spec.higher ? Math.max(...xs) : min(xs);
  return `${fmt(v)} (${spec.higher ? 'max' : 'min'} ${fmt(best)})`;
}

export interface Verdict {
  readonly label: string;
  readonly met: boolean;
}

/** The markdown table: medians, with min (or max for throughput) in brackets. */
export function table(res: Results): { md: string; verdicts: Verdict[] } {
  const out = [
    '| workload | unit | harness | pm2 | supervisord | floor | ratio harness/best peer | target | met? |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const verdicts: Verdict[] = [];
  for (const spec of ROWS) {
    const s = res[spec.key];
    if (!s) continue;
    const stat = spec.stat ?? 'median';
    const h = value(s, 'harness', stat);
    const peers = PEERS.map((p) => value(s, p, stat)).filter((x): x is number => x !== undefined);
    const best = peers.length === 0 ? undefined : spec.higher ? Math.max(...peers) : Math.min(...peers);
    const ratio = h !== undefined && best !== undefined ? h / best : Number.NaN;
    const floor = value(s, 'floor', stat) ?? Number.NaN;
    let met = '—';
    if (spec.met && h !== undefined) {
      const ok = spec.met(h, ratio, floor);
      met = ok ? 'yes' : '**no**';
      verdicts.push({ label: spec.label, met: ok });
    }
    const cells = [
      spec.label,
      spec.unit,
      cell(s, 'harness', spec),
      cell(s, 'pm2', spec),
      cell(s, 'supervisord', spec),
    ];
    cells.push(
      cell(s, 'floor', spec),
      Number.isNaN(ratio)
        ? '—'
        : !Number.isFinite(ratio)
          ? '∞'
          : `${ratio.toFixed(2)}${spec.higher ? '×' : ''}`,
      spec.target,
      met,
    );
    out.push(`| ${cells.join(' | ')} |`);
  }
  return { md: out.join('\n'), verdicts };
}
