import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DockerEngine, type SshHost, startDockerEngine, startSshHost } from '@harness/test-fixtures';
import fc from 'fast-check';
import {
  Command,
  DockerLayer,
  type LaggedEvent,
  LocalLauncher,
  type ProcessEvent,
  SshLayer,
  stack,
} from '../src/index.js';
import {
  argvPrinter,
  type ControlMaster,
  nastyArgv,
  openControlMaster,
  roundTripAll,
  sshOptions,
} from './remote-helpers.js';

describe('DockerLayer against a real dockerd', () => {
  let engine: DockerEngine;
  let host: SshHost;
  let master: ControlMaster;
  let containerId: string;
  const container = 'cx-target';
  const launcher = new LocalLauncher();
  const run = (cmd: Command) => launcher.run(cmd, { timeout: 20_000 });
  const docker = (options: Partial<ConstructorParameters<typeof DockerLayer>[0]> = {}) =>
    new DockerLayer({ container, dockerHost: engine.host, ...options });

  before(async () => {
    [engine, host] = await Promise.all([startDockerEngine(), startSshHost({ hostname: 'docker-ssh-host' })]);
    master = await openControlMaster(host);
    const image = await engine.buildBusyboxImage();
    containerId = await engine.runContainer({ name: container, image, command: ['sleep', '100000'] });
  });
  after(async () => {
    await master?.close();
    await Promise.all([engine?.stop(), host?.stop()]);
  });

  it('runs the command inside the container', async () => {
    const r = await run(docker().apply(Command.of('sh', '-c', 'hostname; cat /proc/1/comm')));
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.deepEqual(r.stdout, [containerId.slice(0, 12), 'docker-init']);
  });

  it('passes env with -e, the command’s values winning', async () => {
    const layer = docker({ env: { FROM_LAYER: 'layer', BOTH: 'layer' } });
    const cmd = Command.of('sh', '-c', 'printf "%s|%s|%s\\n" "$FROM_LAYER" "$BOTH" "$ODD"').withEnv({
      BOTH: 'command',
      ODD: 'a b \'c\' "d" $e `f` \\g\nh',
    });
    const r = await run(layer.apply(cmd));
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.deepEqual(r.stdout, ['layer|command|a b \'c\' "d" $e `f` \\g', 'h']);
  });

  it('starts from an empty environment with inheritEnv: false', async () => {
    const cmd = new Command({ program: '/bin/env', env: { ONLY: 'me' }, inheritEnv: false });
    const r = await run(docker({ env: { LAYER: 'x' } }).apply(cmd));
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.deepEqual(r.stdout.sort(), ['LAYER=x', 'ONLY=me']);
  });

  it('honours the workdir, the command’s cwd winning', async () => {
    const layer = docker({ workdir: '/bin' });
    assert.deepEqual((await run(layer.apply(Command.of('pwd')))).stdout, ['/bin']);
    assert.deepEqual((await run(layer.apply(Command.of('pwd').withCwd('/proc')))).stdout, ['/proc']);
  });

  it('runs as the given user', async () => {
    const r = await run(docker({ user: '1234:5678' }).apply(Command.of('sh', '-c', 'id -u; id -g')));
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.deepEqual(r.stdout, ['1234', '5678']);
  });

  it('pipes stdin through to cat in the container', async () => {
    const [events, handle] = await launcher.launch(docker().apply(Command.of('cat').withStdin('pipe')));
    const reader = events.subscribe({ replay: Number.MAX_SAFE_INTEGER });
    await handle.write('one\n');
    await handle.write('twö\n');
    await handle.end();
    const seen: (ProcessEvent | LaggedEvent)[] = [];
    for await (const e of reader) seen.push(e);
    assert.deepEqual(await handle.wait(), { code: 0, signal: null });
    assert.deepEqual(
      seen.flatMap((e) => (e.type === 'stdout' ? [e.line] : [])),
      ['one', 'twö'],
    );
  });

  it('propagates exit codes', async () => {
    for (const code of [0, 3, 125, 200]) {
      const r = await run(docker().apply(Command.of('sh', '-c', `exit ${code}`)));
      assert.equal(r.code, code);
    }
  });

  it('delivers 60 hostile argument vectors byte-exact', async () => {
    const vectors = fc.sample(nastyArgv(), { numRuns: 60, seed: 0xd0c });
    const failures = await roundTripAll(vectors, (args) => run(docker().apply(argvPrinter(args))), 4);
    assert.deepEqual(failures, []);
  });

  it('stacked under ssh, runs docker exec on the ssh host', async () => {
    const layer = stack(docker(), new SshLayer(sshOptions(host, master.controlPath)));
    const cmd = layer.apply(
      Command.of('sh', '-c', 'hostname; printf "%s\\n" "$X"; pwd')
        .withEnv({ X: "it's $HOME" })
        .withCwd('/etc'),
    );
    assert.equal(cmd.program, 'ssh');
    const r = await run(cmd);
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.deepEqual(r.stdout, [containerId.slice(0, 12), "it's $HOME", '/etc']);
    const exit = await run(layer.apply(Command.of('sh', '-c', 'exit 9')));
    assert.equal(exit.code, 9);
  });

  it('stacked under ssh, still delivers 40 hostile argument vectors byte-exact', async () => {
    const layer = stack(docker(), new SshLayer(sshOptions(host, master.controlPath)));
    const vectors = fc.sample(nastyArgv(), { numRuns: 40, seed: 0x55d0c });
    const failures = await roundTripAll(vectors, (args) => run(layer.apply(argvPrinter(args))), 4);
    assert.deepEqual(failures, []);
  });

  it('gives docker’s message and a non-zero exit for a missing container', async () => {
    const missing = new DockerLayer({ container: 'cx-no-such-container', dockerHost: engine.host });
    const r = await run(missing.apply(Command.of('true')));
    assert.notEqual(r.code, 0);
    assert.equal(r.code, 1);
    assert.match(r.stderr.join('\n'), /No such container: cx-no-such-container/);
  });
});
