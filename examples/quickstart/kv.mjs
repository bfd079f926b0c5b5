// A client for backend.mjs: one request per connection.
import { connect } from 'node:net';

export function kv(line) {
  const [host, port] = (process.env.KV_ADDR ?? '127.0.0.1:7401').split(':');
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), host, () => s.write(`${line}\n`));
    let out = '';
    s.on('data', (c) => {
      out += c;
      if (out.includes('\n')) {
        s.end();
        resolve(out.trim());
      }
    });
    s.on('error', reject);
  });
}
