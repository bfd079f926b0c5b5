// Does a job every 300 ms (counts it in the store) and, now and then, crashes on purpose:
// the supervisor restarts it with backoff.
import { kv } from './kv.mjs';

let done = 0;
const timer = setInterval(async () => {
  done++;
  await kv(`SET jobs ${done}`).catch(() => undefined);
  console.log(`worker: job ${done} done`);
  if (Math.random() < 0.1) {
    console.error('worker: crashed (on purpose)');
    process.exit(1);
  }
}, 300);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.exit(0);
});
