/**
 * A supervisor that dies: launches a service that logs to files, prints what identifies it
 * (one JSON line) and then idles until it is killed. Run with `node --import tsx`.
 * Usage: launch-logged.ts <folder> <cgroup label>
 */
import { join } from 'node:path';
import { Command, LocalLauncher } from '../../src/index.js';

const [dir, name] = process.argv.slice(2) as [string, string];
const logFiles = { stdout: join(dir, 'out.log'), stderr: join(dir, 'err.log') };
// The service: a line on each stream every 20 ms, and it traps nothing.
const script = 'i=0; while :; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.02; done';
const [, handle] = await new LocalLauncher().launch(Command.shell(script), { logFiles, name });
process.stdout.write(
  `${JSON.stringify({ pid: handle.pid, startTime: handle.startTime, cgroup: handle.cgroup, logFiles })}\n`,
);
setInterval(() => undefined, 1 << 30);
