import {
  type Probe,
  type ResolvedConfig,
  type ResolvedService,
  renderText,
  type ServiceCommand,
  type ServiceRef,
  startGraph,
  type TextValue,
} from '@harness/harness-config';
import type { ProbeSpec, ServiceSpec, StackSpec } from '@harness/service-orchestration';
import { UsageError } from './usage-error.js';

/**
 * What `harness up` sends the daemon: the stack as the orchestration's own spec, and the services
 * to start (every service not disabled, or the named ones, plus what they depend on).
 */
export interface StackRequest {
  readonly stack: StackSpec;
  readonly services: string[];
}

/**
 * Converts a resolved configuration into the orchestration's {@link StackSpec}. Service
 * references are resolved for services on this machine: `${services.X.host}` is the loopback
 * address and `${services.X.ports.P}` the port X declares.
 *
 * @example
 * const { stack, services } = toStackRequest((await loadConfig('harness.yaml')).config, ['api']);
 */
export function toStackRequest(config: ResolvedConfig, names: readonly string[] = []): StackRequest {
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
  const resolveRef = (ref: ServiceRef): string => {
    if (ref.property === 'host') return '127.0.0.1';
    const port = config.services[ref.service]?.ports[ref.port];
    if (port === undefined) throw new UsageError('UNKNOWN_PORT', `${ref.expression} names no declared port`);
    return String(port);
  };
  const text = (v: TextValue): string => renderText(v, resolveRef);
  const services = Object.values(config.services).map((s) => toServiceSpec(s, text));
  return {
    stack: { name: config.name, services },
    services: startGraph(config, names).services,
  };
}

function toServiceSpec(s: ResolvedService, text: (v: TextValue) => string): ServiceSpec {
  if (s.target.kind !== 'process') {
    throw new UsageError(
      'UNSUPPORTED_TARGET',
      `service ${s.name} is a ${s.target.kind} service; this daemon runs process services only for now`,
      'run it as a process (e.g. `docker run …` as its command) until the docker/ssh executors land',
    );
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.env)) env[k] = text(v);
  const spec: ServiceSpec = {
    name: s.name,
    target: { kind: 'process', command: command(s.target.command, text), cwd: s.target.cwd, env },
    dependsOn: Object.fromEntries(s.dependsOn.map((d) => [d.service, d.condition])),
    restart: {
      ...s.restart,
      breaker: { failures: Math.max(20, s.restart.maxRestarts * 2), windowMs: 60_000 },
    },
    shutdown: s.shutdown,
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
