// A service logs to files, its supervisor lets go of it, and a later one attaches and resumes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, LocalAttacher, LocalLauncher } from '@harness/command-executor';

const dir = mkdtempSync(join(tmpdir(), 'attach-example-'));
const logFiles = { stdout: join(dir, 'out.log'), stderr: join(dir, 'err.log') };

// 1. Launch with log files: the service keeps running and logging if this process dies.
const script = 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done';
const [events, handle] = await new LocalLauncher().launch(Command.shell(script), {
  logFiles,
  name: 'ticker',
});
const reader = events.subscribe({ replay: 'all' });
for await (const e of reader) {
  if (e.type === 'stdout' && e.line === 'tick 3') break;
}
// What a supervisor would save to attach later: who it is, and how far we read.
const saved = {
  pid: handle.pid,
  startTime: handle.startTime,
  cgroup: handle.cgroup,
  offsets: handle.logOffsets(),
};
await handle.detach(); // stop following; the process runs on
console.log('saved', saved);

// 2. Later (or from another process): attach, and resume exactly after the last line read.
const attached = await new LocalAttacher().attach({ ...saved, logFiles });
const lines = attached.events.subscribe({ replay: 'all' });
for await (const e of lines) {
  if (e.type === 'stdout') console.log(`${e.line} (offset ${e.offset})`);
  if (e.type === 'stdout' && e.line === 'tick 6') break;
}

// 3. Stop it: the exit code of a process that is not our child is unknown (null).
console.log('stop:', await attached.stop({ timeout: 2000 }));
console.log('wait:', await attached.wait());
rmSync(dir, { recursive: true, force: true });
