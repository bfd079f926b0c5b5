import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SshHost, startSshHost } from '@harness/test-fixtures';
import fc from 'fast-check';
import { Command, type LaggedEvent, LocalLauncher, type ProcessEvent, SshLayer } from '../src/index.js';
import {
  argvPrinter,
  type ControlMaster,
  decodeArgv,
  encodeArgv,
  nastyArgv,
  openControlMaster,
  roundTripAll,
  sshOptions,
} from './remote-helpers.js';

describe('SshLayer against a real sshd', () => {
  let host: SshHost;
  let master: ControlMaster;
  let ssh: SshLayer;
  const launcher = new LocalLauncher();

  before(async () => {
    host = await startSshHost({ hostname: 'ssh-test-host' });
    master = await openControlMaster(host);
    ssh = new SshLayer(sshOptions(host, master.controlPath));
  });
  after(async () => {
    await master?.close();
    await host?.stop();
  });

  it('runs the command on the remote host', async () => {
    const r = await launcher.run(ssh.apply(Command.of('hostname')), { timeout: 20_000 });
    assert.deepEqual(r, { code: 0, signal: null, stdout: ['ssh-test-host'], stderr: [], timedOut: false });
  });

  it('works without a shared connection too', async () => {
    const direct = new SshLayer(sshOptions(host));
    const r = await launcher.run(direct.apply(Command.of('printf', '%s\\n', 'a b', "it's")), {
      timeout: 20_000,
    });
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.deepEqual(r.stdout, ['a b', "it's"]);
  });

  it('honours env and cwd on the remote side', async () => {
    const cmd = Command.of('sh', '-c', 'printf "%s|%s\\n" "$GREETING" "$(pwd)"')
      .withEnv({ GREETING: `hi 'there' "$USER" \`x\`` })
      .withCwd('/usr/share');
    const r = await launcher.run(ssh.apply(cmd), { timeout: 20_000 });
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.deepEqual(r.stdout, [`hi 'there' "$USER" \`x\`|/usr/share`]);
  });

  it('starts from an empty environment with inheritEnv: false', async () => {
    const cmd = new Command({
      program: 'sh',
      args: ['-c', 'env | sort'],
      env: { ONLY: 'me' },
      inheritEnv: false,
    });
    const r = await launcher.run(ssh.apply(cmd), { timeout: 20_000 });
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.ok(r.stdout.includes('ONLY=me'), r.stdout.join('\n'));
    assert.ok(!r.stdout.some((l) => l.startsWith('SSH_CONNECTION=')), r.stdout.join('\n'));
  });

  it('pipes stdin through to a remote cat', async () => {
    const [events, handle] = await launcher.launch(ssh.apply(Command.of('cat').withStdin('pipe')));
    const reader = events.subscribe({ replay: Number.MAX_SAFE_INTEGER });
    await handle.write('first line\n');
    await handle.write('second ünïcode line\n');
    await handle.end();
    const seen: (ProcessEvent | LaggedEvent)[] = [];
    for await (const e of reader) seen.push(e);
    assert.deepEqual(await handle.wait(), { code: 0, signal: null });
    const lines = seen.flatMap((e) => (e.type === 'stdout' ? [e.line] : []));
    assert.deepEqual(lines, ['first line', 'second ünïcode line']);
    assert.equal(seen[0]?.type, 'started');
    assert.equal(seen.at(-1)?.type, 'exit');
  });

  it('gives the remote stdin nothing when stdin is null', async () => {
    const r = await launcher.run(ssh.apply(Command.of('sh', '-c', 'cat; echo done')), { timeout: 20_000 });
    assert.deepEqual(r.stdout, ['done']);
  });

  it('propagates exit codes and remote stderr', async () => {
    for (const code of [0, 1, 7, 42, 254]) {
      const r = await launcher.run(ssh.apply(Command.of('sh', '-c', `echo oops >&2; exit ${code}`)), {
        timeout: 20_000,
      });
      assert.equal(r.code, code);
      assert.deepEqual(r.stderr, ['oops']);
    }
    const missing = await launcher.run(ssh.apply(Command.of('harness-no-such-program')), { timeout: 20_000 });
    assert.equal(missing.code, 127);
    assert.match(missing.stderr.join('\n'), /harness-no-such-program/);
  });

  it('delivers 250 hostile argument vectors byte-exact', async () => {
    // A fixed seed keeps CI reproducible; a failure names the exact vector.
    const vectors = fc.sample(nastyArgv(), { numRuns: 250, seed: 0x5eed });
    assert.ok(vectors.some((v) => v.length === 0) && vectors.some((v) => v.includes('')));
    const failures = await roundTripAll(
      vectors,
      (args) => launcher.run(ssh.apply(argvPrinter(args)), { timeout: 20_000 }),
      8,
    );
    assert.deepEqual(failures, []);
  });

  it('shrinks to a minimal failing vector if the quoting ever breaks', async () => {
    // The same check as a shrinking property, on fewer runs: fast-check reports the smallest case.
    await fc.assert(
      fc.asyncProperty(nastyArgv(3), async (args) => {
        const r = await launcher.run(ssh.apply(argvPrinter(args)), { timeout: 20_000 });
        assert.equal(r.code, 0, r.stderr.join('\n'));
        assert.deepEqual(decodeArgv(r.stdout), encodeArgv(args));
      }),
      { numRuns: 20, seed: 0xbad5eed },
    );
  });

  it('gives ssh’s message and a non-zero exit when the port refuses', async () => {
    const refused = new SshLayer({ ...sshOptions(host), port: 2, connectTimeout: 2 });
    const started = Date.now();
    const r = await launcher.run(refused.apply(Command.of('true')), { timeout: 20_000 });
    assert.equal(r.code, 255);
    assert.match(r.stderr.join('\n'), /port 2: Connection refused/);
    assert.ok(Date.now() - started < 2000 + 3000);
  });

  it('gives up on an unreachable host within the connect timeout', async () => {
    const gone = new SshLayer({
      ...sshOptions(host),
      host: host.address.replace(/\.11$/, '.99'),
      connectTimeout: 2,
    });
    const started = Date.now();
    const r = await launcher.run(gone.apply(Command.of('true')), { timeout: 20_000 });
    const elapsed = Date.now() - started;
    assert.equal(r.code, 255);
    assert.match(r.stderr.join('\n'), /Connection timed out|No route to host/);
    assert.ok(elapsed < 2000 + 3000, `took ${elapsed} ms`);
    assert.equal(r.timedOut, false);
  });
});
