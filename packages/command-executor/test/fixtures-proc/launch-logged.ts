/**
 * A supervisor that dies: launches a service that logs to files, prints what identifies it
 * (one JSON line) and then idles until it is killed — or, with `detach`, lets go of the service
 * and ends on its own. Run with `node --import tsx`.
 * Usage: launch-logged.ts <folder> <cgroup label> [detach]
 */
import { join } from 'node:path';
import { Command, LocalLauncher } from '../../src/index.js';

const [dir, name, mode] = process.argv.slice(2) as [string, string, string | undefined];
const logFiles = { stdout: join(dir, 'out.log'), stderr: join(dir, 'err.log') };
// The service: a line on each stream every 20 ms, and it traps nothing.
const script = 'i=0; while :; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.02; done';
const [, handle] = await new LocalLauncher().launch(Command.shell(script), { logFiles, name });
process.stdout.write(
  `${JSON.stringify({ pid: handle.pid, startTime: handle.startTime, cgroup: handle.cgroup, logFiles })}\n`,
);
if (mode === 'detach')
  await handle.detach(); // nothing else is left to keep this process up
else setInterval(() => undefined, 1 << 30);
