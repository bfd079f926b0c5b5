/**
 * The dashboard: one self-contained HTML page (inline style and script, no external asset).
 * It reads `/api/stacks` and each stack's rows, shows a table of services (state, health, pid,
 * restarts, uptime), and reloads the rows when `/api/events` reports a change — coalesced to one
 * reload per burst, no polling loop. Uptime is shown as of the last reload.
 *
 * @example
 * res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(dashboardHtml('0.1.0'));
 */
export function dashboardHtml(version: string): string {
  const v = version.replace(/[^\w.+-]/g, '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Harness</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; } h1 small { color: #778; font-weight: normal; }
  table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0001; }
  th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid #e6e8ee; }
  th { background: #eef0f4; font-weight: 600; }
  td.num { font-variant-numeric: tabular-nums; }
  .state { padding: .1rem .45rem; border-radius: .6rem; font-size: .85em; background: #e6e8ee; }
  .healthy, .running { background: #d5f5de; } .unhealthy, .backoff { background: #fff0c2; }
  .failed, .exited { background: #ffd9d9; } #live { color: #778; font-size: .85em; }
</style>
</head>
<body>
<h1>Harness <small>${v}</small> <span id="live">connecting…</span></h1>
<table id="services">
  <thead><tr><th>Stack</th><th>Service</th><th>#</th><th>State</th><th>Health</th><th>PID</th><th>Restarts</th><th>Uptime</th></tr></thead>
  <tbody><tr><td colspan="8">Loading…</td></tr></tbody>
</table>
<script>
(() => {
  const body = document.querySelector('#services tbody');
  const live = document.getElementById('live');
  const text = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const uptime = (ms) => {
    if (ms == null) return '–';
    const s = Math.floor(ms / 1000);
    return s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  };
  async function load() {
    const stacks = await (await fetch('/api/stacks')).json();
    const rows = (await Promise.all(stacks.map(async (s) => {
      const r = await fetch('/api/stacks/' + encodeURIComponent(s));
      return r.ok ? r.json() : [];
    }))).flat();
    body.innerHTML = rows.length === 0
      ? '<tr><td colspan="8">No stacks running.</td></tr>'
      : rows.map((r) => '<tr><td>' + text(r.stack) + '</td><td>' + text(r.service) + '</td><td class="num">' + text(r.instance) +
          '</td><td><span class="state ' + text(r.state) + '" title="' + text(r.reason) + '">' + text(r.state) + '</span></td><td>' + text(r.health) +
          '</td><td class="num">' + text(r.pid ?? '–') + '</td><td class="num">' + text(r.restarts) + '</td><td class="num">' + uptime(r.uptimeMs) + '</td></tr>').join('');
  }
  let pending = false;
  const reload = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; load().catch((e) => { live.textContent = 'error: ' + e.message; }); });
  };
  const events = new EventSource('/api/events');
  events.onopen = () => { live.textContent = 'live'; reload(); };
  events.onmessage = reload;
  events.onerror = () => { live.textContent = 'reconnecting…'; };
  reload();
})();
</script>
</body>
</html>
`;
}
