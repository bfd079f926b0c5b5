// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about the ${…} syntax, written literally
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULTS, formatDuration, parseDuration, parsePortMapping, splitHostPort } from '../src/index.js';
import { codes, parse, tempDir } from './helpers.js';

const SAMPLE = `
name: shop
hosts:
  edge-1: { address: 10.0.0.5, user: deploy, identity_file: ~/.ssh/id_ed25519, labels: { zone: a, rack: 3 } }
  wg-1: { address: 10.8.0.2, network: wireguard }
services:
  db:
    process: { command: "postgres -D ./data", cwd: ./db, env: { TZ: UTC } }
    ports: { pg: 5432 }
    readiness: { exec: "pg_isready", interval: 500ms, retries: 60, start_period: 1m30s }
    restart: { policy: always, max_restarts: 5, backoff: { initial: 1s, factor: 3 }, reset_after: 2m }
    shutdown: { signal: SIGINT, timeout: 30s }
  api:
    process: { command: [node, server.js, 3000] }
    depends_on: { db: healthy }
    liveness: { http: "http://127.0.0.1:3000/health", timeout: 250ms }
    readiness: { tcp: 3000 }
    replicas: 2
  cache:
    docker:
      image: redis:7
      ports: ["6379:6379", 8080, "127.0.0.1:9000:90/udp"]
      volumes: ["./data:/data", "named:/var/lib:ro"]
      network: backend
    readiness: { log: "Ready to accept" }
    restart: never
  edge:
    ssh: { host: edge-1, command: ./bin/edge, cwd: /opt/edge, env: { MODE: edge } }
    description: The edge proxy
  agent:
    package: { path: ./dist/agent.tgz, host: wg-1, install: "tar xzf agent.tgz", start: [./agent, --serve] }
    disabled: true
`;

describe('resolution', () => {
  const result = parse(SAMPLE);
  const config = result.config;
  const svc = (name: string) => {
    const s = config?.services[name];
    assert.ok(s, `service ${name}`);
    return s;
  };

  it('resolves the sample without problems', () => {
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings, []);
    assert.equal(config?.name, 'shop');
    assert.deepEqual(Object.keys(config?.services ?? {}), ['db', 'api', 'cache', 'edge', 'agent']);
  });

  it('fills the defaults of a service', () => {
    const api = svc('api');
    assert.deepEqual(api.restart, {
      policy: 'on-failure',
      maxRestarts: 10,
      backoff: { initialMs: 100, maxMs: 30_000, factor: 2, jitter: 0.2 },
      resetAfterMs: 60_000,
    });
    assert.deepEqual(api.shutdown, { signal: 'SIGTERM', timeoutMs: 10_000 });
    assert.deepEqual(api.logs, { maxBytes: 10 * 1024 * 1024, keep: 3 });
    assert.deepEqual(api.logs, DEFAULTS.logs);
    assert.equal(api.replicas, 2);
    assert.equal(svc('db').replicas, DEFAULTS.replicas);
    assert.equal(api.disabled, false);
    assert.equal(svc('agent').disabled, true);
    assert.equal(api.description, undefined);
    assert.equal(svc('edge').description, 'The edge proxy');
  });

  it('turns durations into milliseconds and keeps explicit values', () => {
    const db = svc('db');
    assert.deepEqual(db.readiness, {
      kind: 'exec',
      command: { shell: true, script: 'pg_isready' },
      intervalMs: 500,
      timeoutMs: 5000,
      retries: 60,
      startPeriodMs: 90_000,
    });
    assert.deepEqual(db.restart, {
      policy: 'always',
      maxRestarts: 5,
      backoff: { initialMs: 1000, maxMs: 30_000, factor: 3, jitter: 0.2 },
      resetAfterMs: 120_000,
    });
    assert.deepEqual(db.shutdown, { signal: 'SIGINT', timeoutMs: 30_000 });
  });

  it('gives each probe kind its defaults', () => {
    assert.deepEqual(svc('api').liveness, {
      kind: 'http',
      url: 'http://127.0.0.1:3000/health',
      intervalMs: 10_000,
      timeoutMs: 250,
      retries: 3,
      startPeriodMs: 0,
    });
    assert.deepEqual(svc('api').readiness, {
      kind: 'tcp',
      host: '127.0.0.1',
      port: 3000,
      intervalMs: 1000,
      timeoutMs: 1000,
      retries: 30,
      startPeriodMs: 0,
    });
    assert.deepEqual(svc('cache').readiness, {
      kind: 'log',
      pattern: 'Ready to accept',
      intervalMs: 1000,
      timeoutMs: 0,
      retries: 30,
      startPeriodMs: 0,
    });
  });

  it('resolves each target kind, with shell and argv commands and absolute paths', () => {
    assert.deepEqual(svc('db').target, {
      kind: 'process',
      command: { shell: true, script: 'postgres -D ./data' },
      cwd: '/srv/shop/db',
    });
    assert.deepEqual(svc('api').target, {
      kind: 'process',
      command: { shell: false, argv: ['node', 'server.js', '3000'] },
      cwd: '/srv/shop',
    });
    assert.deepEqual(svc('cache').target, {
      kind: 'docker',
      image: 'redis:7',
      command: undefined,
      ports: [
        { hostIp: undefined, hostPort: 6379, containerPort: 6379, protocol: 'tcp' },
        { hostIp: undefined, hostPort: undefined, containerPort: 8080, protocol: 'tcp' },
        { hostIp: '127.0.0.1', hostPort: 9000, containerPort: 90, protocol: 'udp' },
      ],
      volumes: [
        { source: '/srv/shop/data', target: '/data', readOnly: false },
        { source: 'named', target: '/var/lib', readOnly: true },
      ],
      network: 'backend',
    });
    assert.deepEqual(svc('edge').target, {
      kind: 'ssh',
      host: 'edge-1',
      command: { shell: true, script: './bin/edge' },
      cwd: '/opt/edge',
    });
    assert.deepEqual(svc('agent').target, {
      kind: 'package',
      path: '/srv/shop/dist/agent.tgz',
      host: 'wg-1',
      via: 'wireguard',
      install: { shell: true, script: 'tar xzf agent.tgz' },
      start: { shell: false, argv: ['./agent', '--serve'] },
    });
  });

  it('resolves hosts with defaults, `~/` and labels', () => {
    assert.deepEqual(config?.hosts['edge-1'], {
      name: 'edge-1',
      address: '10.0.0.5',
      user: 'deploy',
      port: 22,
      identityFile: '/home/test/.ssh/id_ed25519',
      network: 'lan',
      labels: { zone: 'a', rack: '3' },
    });
    assert.equal(config?.hosts['wg-1']?.network, 'wireguard');
  });

  it('merges the environment: stack env, then env files, then the target env', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'api.env'), 'FROM_FILE=1\nSHARED=file\n');
    const text = [
      'env: { SHARED: stack, STACK: 1 }',
      'services:',
      '  api:',
      '    process: { command: x, env_file: api.env, env: { OWN: yes, SHARED: own } }',
      '  edge:',
      '    docker: { image: x, env: { D: 1 } }',
      '',
    ].join('\n');
    const r = parse(text, { baseDir: dir });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.config?.services.api?.env, { SHARED: 'own', STACK: '1', FROM_FILE: '1', OWN: 'yes' });
    assert.deepEqual(r.config?.services.edge?.env, { SHARED: 'stack', STACK: '1', D: '1' });
  });

  it('names the stack after its folder by default', () => {
    assert.equal(parse('services: {}\n', { baseDir: '/srv/my shop!' }).config?.name, 'my-shop-');
    assert.equal(parse('services: {}\n', { baseDir: '/' }).config?.name, 'stack');
  });

  it('warns about a stack with no services', () => {
    assert.deepEqual(codes(parse('services: {}\n'), 'warnings'), ['NO_SERVICES@1:1']);
  });

  it('allows x- keys at the top level and in services', () => {
    const r = parse('x-note: hi\nservices:\n  a:\n    x-owner: me\n    process: { command: x }\n');
    assert.deepEqual(r.errors, []);
  });
});

describe('reference checks', () => {
  it('warns when a reference does not imply an ordering, accepting transitive dependencies', () => {
    const text = [
      'services:',
      '  db: { process: { command: x }, ports: { pg: 1 } }',
      '  mid: { process: { command: x }, depends_on: [db] }',
      '  ok: { process: { command: "${services.db.host}" }, depends_on: [mid] }',
      '  self: { process: { command: "${services.self.port}" }, ports: { p: 2 } }',
      '  bad: { process: { command: "${services.db.port}" } }',
      '',
    ].join('\n');
    const r = parse(text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(codes(r, 'warnings'), ['REF_WITHOUT_DEPENDENCY@6:31']);
    assert.match(r.warnings[0]?.hint ?? '', /depends_on/);
  });

  it('warns when waiting for a service that never completes', () => {
    const text =
      'services:\n  m: { process: { command: x }, restart: always }\n  a: { process: { command: y }, depends_on: { m: completed } }\n';
    assert.deepEqual(codes(parse(text), 'warnings'), ['COMPLETED_NEVER_COMPLETES@3:47']);
  });

  it('suggests the closest service, host and port names', () => {
    const text = [
      'hosts: { edge-1: { address: a } }',
      'services:',
      '  database: { process: { command: x }, ports: { postgres: 5432 } }',
      '  api:',
      '    process: { command: x, env: { A: "${services.database.ports.postgre}" } }',
      '    depends_on: [databse]',
      '  e: { ssh: { host: edge1, command: x } }',
      '',
    ].join('\n');
    const r = parse(text);
    assert.deepEqual(
      r.errors.map((e) => [e.code, e.hint]),
      [
        ['UNKNOWN_PORT', 'did you mean `postgres`?'],
        ['UNKNOWN_SERVICE', 'did you mean `database`?'],
        ['UNKNOWN_HOST', 'did you mean `edge-1`?'],
      ],
    );
  });

  it('names the whole cycle', () => {
    const text = [
      'services:',
      '  a: { process: { command: x }, depends_on: [b] }',
      '  b: { process: { command: x }, depends_on: [c] }',
      '  c: { process: { command: x }, depends_on: [a] }',
      '  d: { process: { command: x }, depends_on: [a] }',
      '',
    ].join('\n');
    const r = parse(text);
    assert.deepEqual(
      r.errors.map((e) => e.message),
      ['dependency cycle: a → b → c → a'],
    );
  });

  it('hints where a misplaced key belongs', () => {
    const r = parse('services:\n  a:\n    command: x\n');
    assert.deepEqual(codes(r), ['TARGET_MISSING@2:3', 'UNKNOWN_KEY@3:5']);
    assert.match(r.errors[1]?.hint ?? '', /inside the target/);
  });
});

describe('values', () => {
  it('parses durations', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('5'), undefined);
    assert.equal(parseDuration(''), undefined);
    assert.equal(parseDuration('5 s'), undefined);
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(3_600_250), '1h250ms');
  });

  it('parses port mappings', () => {
    assert.deepEqual(parsePortMapping('[::1]:80:8080'), {
      hostIp: '::1',
      hostPort: 80,
      containerPort: 8080,
      protocol: 'tcp',
    });
    assert.equal(parsePortMapping('80:70000'), undefined);
    assert.equal(parsePortMapping('eighty'), undefined);
  });

  it('splits host:port, templates included', () => {
    assert.deepEqual(splitHostPort('db.local:5432'), { host: 'db.local', port: 5432 });
    assert.deepEqual(splitHostPort(5432), { host: '127.0.0.1', port: 5432 });
    const ref = {
      type: 'service-ref',
      property: 'host',
      service: 'db',
      expression: 'services.db.host',
    } as const;
    assert.deepEqual(splitHostPort({ type: 'template', parts: [ref, ':5432'] }), {
      host: { type: 'template', parts: [ref] },
      port: 5432,
    });
  });
});
