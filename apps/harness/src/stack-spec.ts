import {
  type Probe,
  type ResolvedConfig,
  type ResolvedHost,
  type ResolvedService,
  renderText,
  type ServiceCommand,
  type ServiceRef,
  startGraph,
  type TextValue,
} from '@harness/harness-config';
import type {
  ProbeSpec,
  ServiceSpec,
  ServiceTarget,
  SshConnection,
  StackSpec,
} from '@harness/service-orchestration';
import { UsageError } from './usage-error.js';

/**
 * What `harness up` sends the daemon: the stack as the orchestration's own spec, and the services
 * to start (every service not disabled, or the named ones, plus what they depend on).
 */
export interface StackRequest {
  readonly stack: StackSpec;
  readonly services: string[];
}

/** Options of {@link toStackRequest}. */
export interface StackRequestOptions {
  /**
   * The environment the CLI runs in (default `process.env`): its `DOCKER_HOST`, when set, is the
   * engine docker services run on — the one the user's own `docker` client talks to.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Converts a resolved configuration into the orchestration's {@link StackSpec}. Service
 * references are resolved as seen from the dependent's host: `${services.X.host}` is the loopback
 * address when X runs where the dependent runs, else the address of X's host (from `hosts:`);
 * `${services.X.ports.P}` is the port X declares.
 *
 * @example
 * const { stack, services } = toStackRequest((await loadConfig('harness.yaml')).config, ['api']);
 */
export function toStackRequest(
  config: ResolvedConfig,
  names: readonly string[] = [],
  options: StackRequestOptions = {},
): StackRequest {
  for (const n of names) {
    if (config.services[n] === undefined) {
      const known = Object.keys(config.services);
      throw new UsageError(
        'UNKNOWN_SERVICE',
        `no service named ${n} in ${config.file}`,
        `services: ${known.join(', ')}`,
      );
    }
  }
  const env = options.env ?? process.env;
  const services = Object.values(config.services).map((s) => {
    const text = (v: TextValue): string => renderText(v, (ref) => resolveRef(config, s, ref));
    return toServiceSpec(config, s, text, env.DOCKER_HOST || undefined);
  });
  return {
    stack: { name: config.name, services },
    services: startGraph(config, names).services,
  };
}

/** The host a service runs on (a key of `hosts:`), or undefined for this machine. */
function hostOf(s: ResolvedService | undefined): string | undefined {
  return s?.target.kind === 'ssh' || s?.target.kind === 'package' ? s.target.host : undefined;
}

function resolveRef(config: ResolvedConfig, from: ResolvedService, ref: ServiceRef): string {
  const target = config.services[ref.service];
  if (ref.property === 'host') {
    const there = hostOf(target);
    const here = hostOf(from);
    if (there === here) return '127.0.0.1';
    if (there !== undefined) return host(config, from.name, there).address;
    throw new UsageError(
      'UNSUPPORTED_REFERENCE',
      `service ${from.name} runs on host ${here} and refers to ${ref.expression}, but ${ref.service} runs on this machine, whose address as seen from ${here} is not known`,
      `write the address ${here} reaches this machine at instead of ${ref.expression}`,
    );
  }
  const port = target?.ports[ref.port];
  if (port === undefined) throw new UsageError('UNKNOWN_PORT', `${ref.expression} names no declared port`);
  return String(port);
}

function host(config: ResolvedConfig, service: string, name: string): ResolvedHost {
  const h = config.hosts[name];
  if (h === undefined) {
    throw new UsageError(
      'UNKNOWN_HOST',
      `service ${service} runs on host ${name}, which is not in the hosts of ${config.file}`,
      `hosts: ${Object.keys(config.hosts).join(', ') || 'none'}`,
    );
  }
  return h;
}

function connection(h: ResolvedHost): SshConnection {
  return {
    address: h.address,
    port: h.port,
    ...(h.user === undefined ? {} : { user: h.user }),
    ...(h.identityFile === undefined ? {} : { identityFile: h.identityFile }),
  };
}

function target(
  config: ResolvedConfig,
  s: ResolvedService,
  text: (v: TextValue) => string,
  env: Record<string, string>,
  dockerHost: string | undefined,
): ServiceTarget {
  const t = s.target;
  switch (t.kind) {
    case 'process':
      return { kind: 'process', command: command(t.command, text), cwd: t.cwd, env };
    case 'docker':
      return {
        kind: 'docker',
        image: t.image,
        ...(t.command === undefined ? {} : { command: command(t.command, text) }),
        env,
        ports: t.ports.map((p) => ({
          hostIp: p.hostIp,
          hostPort: p.hostPort,
          containerPort: p.containerPort,
          protocol: p.protocol,
        })),
        volumes: t.volumes.map((v) => ({ source: v.source, target: v.target, readOnly: v.readOnly })),
        ...(t.network === undefined ? {} : { network: t.network }),
        ...(dockerHost === undefined ? {} : { dockerHost }),
      };
    case 'ssh':
      return {
        kind: 'ssh',
        host: t.host,
        connection: connection(host(config, s.name, t.host)),
        command: command(t.command, text),
        ...(t.cwd === undefined ? {} : { cwd: t.cwd }),
        env,
      };
    case 'package':
      return {
        kind: 'package',
        host: t.host,
        connection: connection(host(config, s.name, t.host)),
        path: t.path,
        ...(t.install === undefined ? {} : { install: command(t.install, text) }),
        command: command(t.start, text),
        env,
      };
    default: {
      const kind = (t as { kind: string }).kind;
      throw new UsageError(
        'UNSUPPORTED_TARGET',
        `service ${s.name} is a ${kind} service, which this version of Harness cannot run`,
        'targets: process, docker, ssh, package',
      );
    }
  }
}

function toServiceSpec(
  config: ResolvedConfig,
  s: ResolvedService,
  text: (v: TextValue) => string,
  dockerHost: string | undefined,
): ServiceSpec {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.env)) env[k] = text(v);
  const spec: ServiceSpec = {
    name: s.name,
    target: target(config, s, text, env, dockerHost),
    dependsOn: Object.fromEntries(s.dependsOn.map((d) => [d.service, d.condition])),
    restart: {
      ...s.restart,
      breaker: { failures: Math.max(20, s.restart.maxRestarts * 2), windowMs: 60_000 },
    },
    shutdown: s.shutdown,
    // Always the service's own (harness.yaml's defaults included), so what `config print`
    // shows is what runs, whatever the daemon's default.
    logs: { maxBytes: s.logs.maxBytes, keep: s.logs.keep },
    replicas: s.replicas,
    ports: s.ports,
    disabled: s.disabled,
    ...(s.description !== undefined ? { description: s.description } : {}),
    ...(s.readiness !== undefined ? { readiness: probe(s.readiness, text) } : {}),
    ...(s.liveness !== undefined ? { liveness: probe(s.liveness, text) } : {}),
  };
  return spec;
}

function command(c: ServiceCommand, text: (v: TextValue) => string): string[] | { shell: string } {
  return c.shell ? { shell: text(c.script) } : c.argv.map(text);
}

function probe(p: Probe, text: (v: TextValue) => string): ProbeSpec {
  const timing = {
    intervalMs: p.intervalMs,
    timeoutMs: p.timeoutMs,
    retries: p.retries,
    startPeriodMs: p.startPeriodMs,
  };
  switch (p.kind) {
    case 'exec':
      return { ...timing, kind: 'exec', command: command(p.command, text) };
    case 'http':
      return { ...timing, kind: 'http', url: text(p.url) };
    case 'tcp':
      return {
        ...timing,
        kind: 'tcp',
        host: text(p.host),
        port: typeof p.port === 'number' ? p.port : Number(text(p.port)),
      };
    case 'log':
      return { ...timing, kind: 'log', pattern: p.pattern };
  }
}
