// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configuration files use the ${…} syntax
/**
 * Docker, ssh and package services: how the configuration becomes the orchestration's targets,
 * and, end to end through the built CLI, a docker service on a private dockerd and an ssh service
 * on an sshd in a network namespace (both from @harness/test-fixtures; a machine without them
 * fails here, it does not skip).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command, LocalLauncher, SshLayer } from '@harness/command-executor';
import { parseConfig, type ResolvedConfig } from '@harness/harness-config';
import { type DockerEngine, type SshHost, startDockerEngine, startSshHost } from '@harness/test-fixtures';
import { toStackRequest } from '../src/stack-spec.js';
import { UsageError } from '../src/usage-error.js';
import { allGone, harness, ps, setup } from './e2e-helpers.js';

function config(text: string): ResolvedConfig {
  const { config, errors } = parseConfig(text, { file: '/srv/shop/harness.yaml', homeDir: '/home/dev' });
  assert.deepEqual(errors, []);
  assert.ok(config);
  return config;
}

const STACK = `name: shop
hosts:
  edge-1: { address: 10.0.0.5, user: deploy, port: 2222, identity_file: ~/.ssh/id_edge }
  edge-2: { address: 10.0.0.6 }
env: { MODE: prod }
services:
  db:
    process: { command: "postgres -D ./data" }
    ports: { pg: 5432 }
  cache:
    docker:
      image: redis:7
      command: [redis-server, --port, "6379"]
      ports: ["127.0.0.1:6379:6379", "5353:53/udp", 9000]
      volumes: ["./data:/data", "cache-vol:/var/lib/x:ro"]
      network: host
      env: { DB: "\${services.db.host}:\${services.db.ports.pg}" }
    ports: { redis: 6379 }
  edge:
    ssh:
      host: edge-1
      command: ./bin/edge --cache \${services.cache.host}
      cwd: /srv/edge
      env: { PEER: "\${services.peer.host}:\${services.peer.port}", SELF: "\${services.agent.host}" }
  peer:
    ssh: { host: edge-2, command: [./peer] }
    ports: { http: 8080 }
  agent:
    package: { path: ./dist/agent.tgz, host: edge-1, install: npm ci, start: [node, agent.js] }
`;

describe('configuration targets', () => {
  it('converts docker, ssh and package services, references seen from their host', () => {
    const cfg = config(STACK.replace('--cache ${services.cache.host}', '--fast'));
    const { stack } = toStackRequest(cfg, [], { env: { DOCKER_HOST: 'unix:///run/other.sock' } });
    const by = new Map(stack.services.map((s) => [s.name, s.target]));
    assert.deepEqual(by.get('cache'), {
      kind: 'docker',
      image: 'redis:7',
      command: ['redis-server', '--port', '6379'],
      env: { MODE: 'prod', DB: '127.0.0.1:5432' },
      ports: [
        { hostIp: '127.0.0.1', hostPort: 6379, containerPort: 6379, protocol: 'tcp' },
        { hostIp: undefined, hostPort: 5353, containerPort: 53, protocol: 'udp' },
        { hostIp: undefined, hostPort: undefined, containerPort: 9000, protocol: 'tcp' },
      ],
      volumes: [
        { source: '/srv/shop/data', target: '/data', readOnly: false },
        { source: 'cache-vol', target: '/var/lib/x', readOnly: true },
      ],
      network: 'host',
      dockerHost: 'unix:///run/other.sock',
    });
    assert.deepEqual(by.get('edge'), {
      kind: 'ssh',
      host: 'edge-1',
      connection: { address: '10.0.0.5', port: 2222, user: 'deploy', identityFile: '/home/dev/.ssh/id_edge' },
      command: { shell: './bin/edge --fast' },
      cwd: '/srv/edge',
      // peer runs on edge-2: its address; agent runs on edge-1 as edge does: loopback.
      env: { MODE: 'prod', PEER: '10.0.0.6:8080', SELF: '127.0.0.1' },
    });
    assert.deepEqual(by.get('peer'), {
      kind: 'ssh',
      host: 'edge-2',
      connection: { address: '10.0.0.6', port: 22 },
      command: ['./peer'],
      env: { MODE: 'prod' },
    });
    assert.deepEqual(by.get('agent'), {
      kind: 'package',
      host: 'edge-1',
      connection: { address: '10.0.0.5', port: 2222, user: 'deploy', identityFile: '/home/dev/.ssh/id_edge' },
      path: '/srv/shop/dist/agent.tgz',
      install: { shell: 'npm ci' },
      command: ['node', 'agent.js'],
      env: { MODE: 'prod' },
    });
    // No DOCKER_HOST: the daemon's docker client default.
    const plain = toStackRequest(cfg, [], { env: {} }).stack.services.find((s) => s.name === 'cache');
    assert.equal(plain?.target.kind === 'docker' && plain.target.dockerHost, undefined);
  });

  it("gives every service its log limits: harness.yaml's defaults, a size, or 0 for no rotation", () => {
    const cfg = config(`services:
  plain: { process: { command: x } }
  small: { process: { command: x }, logs: { max_size: 64KiB, keep: 2 } }
  off: { process: { command: x }, logs: { max_size: 0 } }
  decimal: { process: { command: x }, logs: { max_size: 5MB, keep: 0 } }
`);
    const logs = Object.fromEntries(
      toStackRequest(cfg, [], { env: {} }).stack.services.map((s) => [s.name, s.logs]),
    );
    assert.deepEqual(logs, {
      plain: { maxBytes: 10 * 1024 * 1024, keep: 3 },
      small: { maxBytes: 64 * 1024, keep: 2 },
      off: { maxBytes: 0, keep: 3 },
      decimal: { maxBytes: 5_000_000, keep: 0 },
    });
  });

  it('refuses a reference from a host to a service on this machine, naming both', () => {
    const cfg = config(STACK);
    assert.throws(
      () => toStackRequest(cfg, [], { env: {} }),
      (e: unknown) =>
        e instanceof UsageError &&
        e.code === 'UNSUPPORTED_REFERENCE' &&
        /service edge runs on host edge-1 and refers to services\.cache\.host, but cache runs on this machine/.test(
          e.message,
        ),
    );
  });
});

describe('docker and ssh services end to end', { timeout: 240_000 }, () => {
  let engine: DockerEngine;
  let host: SshHost;
  let image: string;
  const launcher = new LocalLauncher();

  before(async () => {
    [engine, host] = await Promise.all([startDockerEngine(), startSshHost({ hostname: 'edge-e2e' })]);
    image = await engine.buildBusyboxImage();
  });
  after(async () => {
    await Promise.all([engine?.stop(), host?.stop()]);
  });

  /** Runs a script on the host over ssh, as an operator would. */
  const remote = async (script: string): Promise<string> => {
    const ssh = new SshLayer({
      host: host.address,
      user: host.user,
      identityFile: host.identityFile,
      options: { ...host.knownHostsOptions },
    });
    const r = await launcher.run(ssh.apply(Command.of('sh', '-c', script)), { timeout: 30_000 });
    assert.equal(r.code, 0, `remote ${script}: ${r.stderr.join('\n')}`);
    return r.stdout.join('\n').trim();
  };
  /**
   * Live processes on the host of one service (by the HARNESS_STACK and HARNESS_SERVICE every
   * instance gets; the host shares this machine's process table, containers included).
   */
  const onHost = async (stack: string, service: string): Promise<number[]> => {
    const out = await remote(
      `for e in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$e" 2>/dev/null | grep -qx 'HARNESS_STACK=${stack}' && tr '\\0' '\\n' < "$e" 2>/dev/null | grep -qx 'HARNESS_SERVICE=${service}' && { p=\${e#/proc/}; p=\${p%/environ}; grep -q '^[^ ]* ([^)]*) [^Z]' /proc/$p/stat 2>/dev/null && echo $p; }; done; true`,
    );
    return out === '' ? [] : out.split('\n').map(Number);
  };
  const containers = async (stack: string): Promise<string[]> => {
    const r = await engine.docker([
      'ps',
      '-a',
      '-q',
      '--no-trunc',
      '--filter',
      `label=io.harness.stack=${stack}`,
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };

  it('up runs both, logs shows their output, a SIGKILLed daemon is replaced without duplicates, down clears both', async (t) => {
    const e = await setup(t);
    e.env.DOCKER_HOST = engine.host;
    const stack = `targets-${process.pid}`;
    writeFileSync(
      join(e.dir, 'harness.yaml'),
      `name: ${stack}
hosts:
  edge: { address: ${host.address}, user: root, identity_file: ${host.identityFile} }
services:
  cache:
    docker:
      image: ${image}
      command: 'echo "cache up as $HARNESS_SERVICE"; exec sleep 1000'
    shutdown: { signal: SIGKILL, timeout: 5s }
  edge:
    ssh:
      host: edge
      command: 'echo "edge up on $(hostname)"; exec sleep 1000'
    depends_on: [cache]
`,
    );
    const up = await harness(e, 'up', '-d');
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const rows = await ps(e);
    const by = new Map(rows.map((r) => [r.service, r]));
    assert.equal(by.get('cache')?.state, 'running');
    assert.equal(by.get('edge')?.state, 'running');

    const [container] = await containers(stack);
    assert.ok(container, 'a container runs');
    const edgePid = by.get('edge')?.pid as number;
    assert.deepEqual(await onHost(stack, 'edge'), [edgePid]);

    const cacheLogs = await harness(e, 'logs', 'cache');
    assert.match(cacheLogs.stdout, /cache up as cache/);
    const edgeLogs = await harness(e, 'logs', 'edge');
    assert.match(edgeLogs.stdout, /edge up on edge-e2e/);
    // The daemon learned the host's key on first use.
    assert.match(readFileSync(join(e.home, 'state', 'known_hosts'), 'utf8'), /ssh-ed25519/);

    // The daemon dies; the next one adopts the same container and the same remote process.
    const daemonPid = Number(readFileSync(join(e.home, 'daemon.pid'), 'utf8'));
    process.kill(daemonPid, 'SIGKILL');
    assert.ok(await allGone([daemonPid]));
    const after = new Map((await ps(e)).map((r) => [r.service, r]));
    assert.equal(after.get('cache')?.state, 'running');
    assert.equal(after.get('edge')?.state, 'running');
    assert.equal(after.get('edge')?.pid, edgePid);
    assert.equal(after.get('cache')?.pid, by.get('cache')?.pid);
    assert.deepEqual(await containers(stack), [container]);
    assert.deepEqual(await onHost(stack, 'edge'), [edgePid]);

    const down = await harness(e, 'down');
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await containers(stack), []);
    assert.deepEqual(await onHost(stack, 'edge'), []);
  });
});
