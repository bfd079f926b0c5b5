// Layers wrap a Command into another Command; nothing runs until a launcher is given it.
import { Command, DockerLayer, LocalLauncher, SshLayer, stack } from '@harness/command-executor';

const psql = Command.of('psql', '-c', 'select 1').withEnv({ PGUSER: 'app' }).withCwd('/srv');

// docker exec inside the container, on the ssh host: the first layer is the innermost.
const remoteDb = stack(
  new DockerLayer({ container: 'db', user: 'postgres' }),
  new SshLayer({ host: 'edge-1.internal', user: 'deploy', port: 2222 }),
);
const wrapped = remoteDb.apply(psql);

console.log(remoteDb.name); // docker(db) → ssh(deploy@edge-1.internal)
console.log(wrapped.argv());
console.log(wrapped.display()); // a line a person can paste into a shell

// Launching a layered command is the same call as a local one, e.g.:
//   const [events, handle] = await new LocalLauncher().launch(wrapped);
// Here we only launch a local command to show the last step.
const r = await new LocalLauncher().run(Command.of('echo', 'layers are data'));
console.log(r.stdout);
