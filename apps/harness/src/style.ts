import type { CliContext, Output } from './context.js';

const CODES: Record<string, string> = {
  red: '31',
  green: '32',
  yellow: '33',
  blue: '34',
  magenta: '35',
  cyan: '36',
  gray: '90',
  bold: '1',
};

/** Paints text in a named colour (`red`, `gray`, `bold`…), or leaves it as it is. */
export type Paint = (color: string, text: string) => string;

/** Whether a stream gets colours: it is a terminal, NO_COLOR is not set and TERM is not `dumb`. */
export function colorsOn(out: Output, cx: CliContext): boolean {
  return out.isTTY === true && !cx.env.NO_COLOR && cx.env.TERM !== 'dumb';
}

/** A painter that colours when `on`, and returns the text unchanged when not. */
export function colorizer(on: boolean): Paint {
  return (color, text) => (on && CODES[color] ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text);
}

/** Colours for a stream: on when it is a terminal and NO_COLOR is not set. */
export function painter(out: Output, cx: CliContext): Paint {
  return colorizer(colorsOn(out, cx));
}

/** The colour of a lifecycle state. */
export function stateColor(state: string): string {
  switch (state) {
    case 'healthy':
    case 'running':
    case 'completed':
      return 'green';
    case 'starting':
    case 'waiting':
    case 'backoff':
    case 'stopping':
      return 'yellow';
    case 'unhealthy':
    case 'failed':
      return 'red';
    default:
      return 'gray';
  }
}

const PREFIX_COLORS = ['cyan', 'magenta', 'blue', 'yellow', 'green'];

/** A stable colour per service name, for multiplexed log prefixes. */
export function serviceColor(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PREFIX_COLORS[h % PREFIX_COLORS.length] as string;
}

/** `1h2m`, `3m4s`, `5s`, `120ms`. */
export function formatUptime(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** A plain text table: columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visible(c).length);
    });
  }
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c).length)))
        .join('  '),
    )
    .join('\n');
}

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

/** The text without its colour codes: what the terminal shows. */
export function visible(s: string): string {
  return s.replace(ANSI, '');
}
