import { createServer } from 'node:http';
import { kv } from './kv.mjs';

const port = Number(process.env.API_PORT ?? 7402);
createServer(async (req, res) => {
  if (req.url === '/health') {
    res.end('ok');
    return;
  }
  try {
    const greeting = await kv('GET greeting');
    const jobs = await kv('GET jobs');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ greeting, jobs: Number(jobs) }));
  } catch (e) {
    res.statusCode = 502;
    res.end(String(e));
  }
}).listen(port, '127.0.0.1', () => console.log(`api listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
