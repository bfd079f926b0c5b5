// Launch a process tree, read its output as events, and stop all of it.
import { Command, LocalLauncher } from '@harness/command-executor';

const launcher = new LocalLauncher();
const [events, handle] = await launcher.launch(
  Command.shell('echo "web up on $PORT"; sleep 1000 & sleep 1000 & wait').withEnv({ PORT: '8080' }),
  { name: 'web' },
);
console.log(`pid ${handle.pid}, cgroup: ${handle.cgroup === undefined ? 'none' : 'yes'}`);

// replay: 'all' also gives what came before we subscribed (the `started` event at least).
for await (const e of events.subscribe({ replay: 'all' })) {
  if (e.type === 'started') console.log('started', e.pid);
  if (e.type === 'stdout') {
    console.log('stdout:', e.line);
    break; // the service is up
  }
}
console.log('processes in the tree:', handle.processes().length); // 3: sh and two sleeps

const result = await handle.stop({ signal: 'SIGTERM', timeout: 2000 });
console.log('stopped:', result); // { code: null, signal: 'SIGTERM', killed: false }
console.log('left running:', handle.processes().length);

const run = await launcher.run(Command.of('sh', '-c', 'echo out; echo err >&2; exit 3'), { timeout: 5000 });
console.log('run:', run);
