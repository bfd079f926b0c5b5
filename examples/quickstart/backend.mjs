// A tiny key-value store over TCP: "SET key value" / "GET key", one command per line.
import { createServer } from 'node:net';

const port = Number(process.env.BACKEND_PORT ?? 7401);
const data = new Map();
createServer((socket) => {
  let buf = '';
  socket.on('data', (chunk) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const [cmd, key, ...rest] = buf.slice(0, i).trim().split(' ');
      buf = buf.slice(i + 1);
      if (cmd === 'SET') {
        data.set(key, rest.join(' '));
        socket.write('OK\n');
      } else if (cmd === 'GET') socket.write(`${data.get(key) ?? ''}\n`);
      else socket.write('ERR\n');
    }
  });
  socket.on('error', () => {});
}).listen(port, '127.0.0.1', () => console.log(`backend listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  console.log('backend stopping');
  process.exit(0);
});
