import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Command,
  CommandError,
  DockerLayer,
  LocalLayer,
  remoteShellLine,
  SshLayer,
  shellJoin,
  shellQuote,
  stack,
} from '../src/index.js';
import { nastyArgv } from './remote-helpers.js';

const invalid = (code: string) => (e: unknown) => {
  assert.ok(e instanceof CommandError, String(e));
  assert.equal(e.code, code);
  return true;
};

describe('Command', () => {
  it('has defaults and is frozen data', () => {
    const c = Command.of('echo', 'a');
    assert.equal(Object.getPrototypeOf(c.env), null, 'env has no prototype to pollute');
    assert.deepEqual(
      { ...c.toSpec(), env: { ...c.env } },
      {
        program: 'echo',
        args: ['a'],
        env: {},
        inheritEnv: true,
        cwd: undefined,
        stdin: 'null',
      },
    );
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.args) && Object.isFrozen(c.env));
    assert.deepEqual(c.argv(), ['echo', 'a']);
    assert.deepEqual(Command.shell('echo $X').argv(), ['sh', '-c', 'echo $X']);
  });

  it('copies on every change and leaves the original alone', () => {
    const a = Command.of('ls');
    const b = a
      .withArgs('-l', 'x y')
      .withEnv({ A: '1' })
      .withEnv({ B: '2', A: '3' })
      .withCwd('/tmp')
      .withStdin('pipe');
    assert.deepEqual(a.argv(), ['ls']);
    assert.deepEqual(b.argv(), ['ls', '-l', 'x y']);
    assert.deepEqual({ ...b.env }, { A: '3', B: '2' });
    assert.equal(b.cwd, '/tmp');
    assert.equal(b.stdin, 'pipe');
    assert.equal(b.withCwd(undefined).cwd, undefined);
    assert.equal(b.with({ program: 'cat' }).program, 'cat');
  });

  it('displays a line a shell reads back', () => {
    assert.equal(
      Command.of('sh', '-c', 'echo $GREETING').withEnv({ GREETING: 'hi' }).display(),
      "GREETING=hi sh -c 'echo $GREETING'",
    );
    const c = new Command({ program: 'env', env: { A: "it's" }, inheritEnv: false, cwd: '/a b' });
    assert.equal(c.display(), "cd '/a b' && env -i A='it'\\''s' env");
    assert.equal(String(c), c.display());
  });

  it('rejects what cannot be run, with INVALID_COMMAND', () => {
    assert.throws(() => Command.of(''), invalid('INVALID_COMMAND'));
    assert.throws(
      () => new Command({ program: 'x', args: [1 as unknown as string] }),
      invalid('INVALID_COMMAND'),
    );
    assert.throws(() => Command.of('x', 'a\0b'), /argument 0 of x contains a NUL byte/);
    assert.throws(() => Command.of('x').withEnv({ 'BAD-NAME': 'v' }), /"BAD-NAME" is not valid/);
    assert.throws(() => Command.of('x').withEnv({ '1X': 'v' }), invalid('INVALID_COMMAND'));
    assert.throws(() => Command.of('x').withEnv({ X: 'a\0' }), /X must be a string without NUL/);
    try {
      Command.of('prog', 'ok', 'a\0');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof CommandError);
      assert.equal(e.program, 'prog');
      assert.equal(e.name, 'CommandError');
    }
  });
});

describe('shellQuote / shellJoin', () => {
  it('leaves safe words alone and quotes the rest', () => {
    assert.equal(shellQuote('abc/def-1.2_x=y:z,@%+'), 'abc/def-1.2_x=y:z,@%+');
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote("it's $HOME"), "'it'\\''s $HOME'");
    assert.equal(shellQuote('~'), "'~'");
    assert.equal(shellQuote('*'), "'*'");
    assert.equal(shellJoin(['echo', 'a b', '$x']), "echo 'a b' '$x'");
    assert.equal(shellJoin([]), '');
    assert.throws(() => shellQuote('a\0'), TypeError);
  });

  it('is read back byte-exact by sh (property, 150 vectors)', () => {
    fc.assert(
      fc.property(nastyArgv(), (args) => {
        const r = spawnSync('sh', ['-c', `for a in ${shellJoin(args)}; do printf '%s\\0' "$a"; done`]);
        const want = Buffer.concat(args.map((a) => Buffer.from(`${a}\0`)));
        assert.equal(r.status, 0, String(r.stderr));
        assert.ok(r.stdout.equals(want), `${JSON.stringify(args)} → ${JSON.stringify(String(r.stdout))}`);
      }),
      { numRuns: 150, seed: 0x9007e },
    );
  });
});

describe('remoteShellLine', () => {
  it('execs the argv, with env and cwd quoted', () => {
    assert.equal(remoteShellLine(Command.of('echo', 'a b')), "exec echo 'a b'");
    assert.equal(remoteShellLine(Command.of('x').withEnv({ A: 'v w' })), "exec env 'A=v w' x");
    assert.equal(
      remoteShellLine(new Command({ program: 'x', env: { A: '1' }, inheritEnv: false, cwd: "/it's" })),
      "cd '/it'\\''s' && exec env -i A=1 x",
    );
    assert.equal(remoteShellLine(new Command({ program: 'x', inheritEnv: false })), 'exec env -i x');
  });
});

describe('stack', () => {
  const tag = (t: string) => ({ name: t, apply: (c: Command) => c.withArgs(t) });

  it('applies the first layer first', () => {
    assert.deepEqual(stack(tag('a'), tag('b'), tag('c')).apply(Command.of('p')).argv(), ['p', 'a', 'b', 'c']);
    assert.equal(stack(tag('a'), tag('b')).name, 'a → b');
  });

  it('is the identity when empty', () => {
    const c = Command.of('p', 'x');
    assert.equal(stack().apply(c), c);
    assert.equal(stack().name, 'identity');
  });

  it('puts docker exec inside ssh for stack(docker, ssh)', () => {
    const layer = stack(
      new DockerLayer({ container: 'db', dockerHost: 'unix:///run/d.sock' }),
      new SshLayer({ host: 'edge-1', user: 'deploy' }),
    );
    assert.equal(layer.name, 'docker(db) → ssh(deploy@edge-1)');
    const cmd = layer.apply(Command.of('psql', '-c', 'select 1').withEnv({ PGUSER: 'me' }));
    assert.deepEqual(cmd.argv(), [
      'ssh',
      '-o',
      'BatchMode=yes',
      '-l',
      'deploy',
      '-n',
      '--',
      'edge-1',
      "exec docker -H unix:///run/d.sock exec -e PGUSER=me db psql -c 'select 1'",
    ]);
    // the other order: ssh runs inside the container
    const inverse = stack(new SshLayer({ host: 'h' }), new DockerLayer({ container: 'jump' })).apply(
      Command.of('true'),
    );
    assert.deepEqual(inverse.argv().slice(0, 3), ['docker', 'exec', 'jump']);
    assert.equal(inverse.argv()[3], 'ssh');
  });
});

describe('LocalLayer', () => {
  it('merges env (command wins) and resolves cwd', () => {
    const layer = new LocalLayer({ env: { TZ: 'UTC', A: 'layer' }, cwd: '/srv/app' });
    const c = layer.apply(Command.of('date').withEnv({ A: 'cmd' }));
    assert.deepEqual({ ...c.env }, { TZ: 'UTC', A: 'cmd' });
    assert.equal(c.cwd, '/srv/app');
    assert.equal(layer.apply(Command.of('x').withCwd('sub')).cwd, '/srv/app/sub');
    assert.equal(layer.apply(Command.of('x').withCwd('/abs')).cwd, '/abs');
    assert.equal(new LocalLayer().apply(Command.of('x').withCwd('rel')).cwd, 'rel');
    assert.equal(new LocalLayer().apply(Command.of('x')).inheritEnv, true);
    assert.equal(new LocalLayer({ clearEnv: true }).apply(Command.of('x')).inheritEnv, false);
    assert.equal(new LocalLayer().name, 'local');
    assert.equal(new LocalLayer({ cwd: '/a' }).apply(Command.of('x')).display(), 'cd /a && x');
  });
});

describe('SshLayer', () => {
  it('builds the documented argv', () => {
    const c = new SshLayer({ host: '10.0.0.5', user: 'deploy', port: 2222 }).apply(Command.of('echo', 'a b'));
    assert.deepEqual(c.argv(), [
      'ssh',
      '-o',
      'BatchMode=yes',
      '-p',
      '2222',
      '-l',
      'deploy',
      '-n',
      '--',
      '10.0.0.5',
      "exec echo 'a b'",
    ]);
    assert.deepEqual({ ...c.env }, {});
    assert.equal(c.cwd, undefined);
    assert.equal(c.stdin, 'null');
  });

  it('passes every option in order', () => {
    const layer = new SshLayer({
      host: 'h',
      user: 'u',
      port: 22,
      identityFile: '/k/id',
      options: { StrictHostKeyChecking: 'no', ControlPath: '/tmp/cm' },
      connectTimeout: 2.5,
      batchMode: false,
      sshBinary: '/opt/ssh',
    });
    const c = layer.apply(Command.of('cat').withStdin('pipe'));
    assert.deepEqual(c.argv(), [
      '/opt/ssh',
      '-o',
      'ConnectTimeout=3',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'ControlPath=/tmp/cm',
      '-p',
      '22',
      '-i',
      '/k/id',
      '-l',
      'u',
      '--',
      'h',
      'exec cat',
    ]);
    assert.equal(c.stdin, 'pipe');
    assert.equal(layer.name, 'ssh(u@h)');
    assert.equal(new SshLayer({ host: 'h' }).name, 'ssh(h)');
  });

  it('forces a terminal with tty and keeps stdin inherited', () => {
    const c = new SshLayer({ host: 'h', tty: true }).apply(Command.of('top').withStdin('inherit'));
    assert.deepEqual(c.argv(), ['ssh', '-o', 'BatchMode=yes', '-tt', '--', 'h', 'exec top']);
    assert.equal(c.stdin, 'inherit');
    const t = new SshLayer({ host: 'h', tty: true }).apply(Command.of('x'));
    assert.ok(!t.args.includes('-n'));
  });

  it('moves env and cwd into the remote line', () => {
    const c = new SshLayer({ host: 'h' }).apply(Command.of('ls').withEnv({ A: 'b c' }).withCwd('/x y'));
    assert.equal(c.args.at(-1), "cd '/x y' && exec env 'A=b c' ls");
  });

  it('rejects bad options with INVALID_OPTION and the value quoted', () => {
    for (const host of ['', 'a b', '-oProxyCommand=x', 'tab\there']) {
      assert.throws(() => new SshLayer({ host }), invalid('INVALID_OPTION'));
    }
    assert.throws(() => new SshLayer({ host: '-x' }), /ssh host "-x" is not a valid host name/);
    for (const port of [0, -1, 65536, 22.5, Number.NaN]) {
      assert.throws(() => new SshLayer({ host: 'h', port }), invalid('INVALID_OPTION'));
    }
    assert.throws(() => new SshLayer({ host: 'h', port: 70000 }), /ssh port 70000 is not a port number/);
    for (const connectTimeout of [0, -2, Number.POSITIVE_INFINITY, Number.NaN]) {
      assert.throws(() => new SshLayer({ host: 'h', connectTimeout }), invalid('INVALID_OPTION'));
    }
    assert.throws(
      () => new SshLayer({ host: 'h', connectTimeout: 0 }),
      /connectTimeout 0 must be a positive number/,
    );
  });
});

describe('DockerLayer', () => {
  it('builds the documented argv', () => {
    assert.deepEqual(
      new DockerLayer({ container: 'db', user: 'postgres' }).apply(Command.of('pg_isready')).argv(),
      ['docker', 'exec', '-u', 'postgres', 'db', 'pg_isready'],
    );
  });

  it('passes every option in order, the command winning over the layer', () => {
    const layer = new DockerLayer({
      container: 'c1',
      user: '1:2',
      workdir: '/w',
      env: { A: 'layer', B: 'layer' },
      tty: true,
      dockerHost: 'unix:///d.sock',
      dockerBinary: '/opt/docker',
    });
    const c = layer.apply(Command.of('sh', '-c', 'x').withEnv({ B: 'cmd' }).withCwd('/c').withStdin('pipe'));
    assert.deepEqual(c.argv(), [
      '/opt/docker',
      '-H',
      'unix:///d.sock',
      'exec',
      '-i',
      '-t',
      '-u',
      '1:2',
      '-w',
      '/c',
      '-e',
      'A=layer',
      '-e',
      'B=cmd',
      'c1',
      'sh',
      '-c',
      'x',
    ]);
    assert.equal(c.stdin, 'pipe');
    assert.equal(layer.name, 'docker(c1)');
    assert.deepEqual(layer.apply(Command.of('pwd')).argv().slice(4, 10), [
      '-t',
      '-u',
      '1:2',
      '-w',
      '/w',
      '-e',
    ]);
  });

  it('keeps stdin open with -i only when it is used', () => {
    const layer = new DockerLayer({ container: 'c' });
    assert.ok(!layer.apply(Command.of('x')).args.includes('-i'));
    assert.ok(layer.apply(Command.of('x').withStdin('inherit')).args.includes('-i'));
    assert.ok(
      new DockerLayer({ container: 'c', interactive: true }).apply(Command.of('x')).args.includes('-i'),
    );
  });

  it('uses env -i for an empty environment', () => {
    const c = new DockerLayer({ container: 'c', env: { L: '1' } }).apply(
      new Command({ program: 'x', env: { A: 'a b' }, inheritEnv: false }),
    );
    assert.deepEqual(c.argv(), ['docker', 'exec', 'c', 'env', '-i', 'L=1', 'A=a b', 'x']);
  });

  it('passes arguments unchanged (no shell in between)', () => {
    const args = ["it's", '$HOME', '', '-n', 'a\nb'];
    assert.deepEqual(
      new DockerLayer({ container: 'c' })
        .apply(Command.of('p', ...args))
        .argv()
        .slice(-5),
      args,
    );
  });

  it('rejects a bad container with INVALID_OPTION', () => {
    assert.throws(() => new DockerLayer({ container: '' }), invalid('INVALID_OPTION'));
    assert.throws(
      () => new DockerLayer({ container: '--rm' }),
      /docker container "--rm" is not a valid name or id/,
    );
  });
});
