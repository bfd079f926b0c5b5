import { homedir } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import type { Diagnostics, Range } from '../errors/diagnostics.js';
import { type ReadFile, readEnvFile } from '../interpolate/read-env-file.js';
import type { RawConfig, RawHost, RawProbe, RawService } from '../schema/harness-schema.js';
import { defaultStackName } from '../schema/names.js';
import { splitHostPort, toCommand } from './command.js';
import { DEFAULTS } from './defaults.js';
import type { ServiceRef, TextValue } from './text.js';
import { textRefs } from './text.js';
import type {
  Dependency,
  HostNetwork,
  Probe,
  ResolvedConfig,
  ResolvedHost,
  ResolvedService,
  RestartSpec,
  ServiceCommand,
  ServiceTarget,
  ShutdownSpec,
} from './types.js';

/** What the resolver needs besides the checked configuration. */
export interface ResolveOptions {
  /** The configuration file, as given. */
  readonly file: string;
  /** The folder relative paths are resolved against. */
  readonly baseDir: string;
  /** The top-level `env` with effective values (from interpolation). */
  readonly stackEnv: ReadonlyMap<string, string>;
  /** The home folder, for `~/` in paths (default: the current user's). */
  readonly homeDir?: string;
  readonly readFile?: ReadFile;
}

/** Where things were written, for the reference checks that follow resolution. */
export interface Sites {
  /** `service → dependency → range` of each `depends_on` entry. */
  readonly dependencies: Map<string, Map<string, Range>>;
  /** `service → range` of `ssh.host` / `package.host`. */
  readonly hosts: Map<string, Range>;
  /** Every declared service name (also those whose definition has errors). */
  readonly declared: Set<string>;
  /** The port names of every declared service, in declaration order. */
  readonly ports: Map<string, string[]>;
}

/**
 * Fills in every default and turns the checked configuration into a {@link ResolvedConfig}:
 * durations in milliseconds, absolute paths, commands in shell or argv form, merged environments.
 *
 * @example
 * const { config } = resolveConfig(raw, diag, { file: 'harness.yaml', baseDir: '/srv/shop', stackEnv });
 */
export function resolveConfig(
  raw: RawConfig,
  diag: Diagnostics,
  options: ResolveOptions,
): { config: ResolvedConfig; sites: Sites } {
  const home = options.homeDir ?? homedir();
  const path = (p: string): string =>
    p === '~' || p.startsWith('~/') ? home + p.slice(1) : resolvePath(options.baseDir, p);
  const hosts: Record<string, ResolvedHost> = {};
  for (const { key, value } of raw.hosts ?? []) hosts[key] = resolveHost(key, value, path);
  const env = Object.fromEntries(options.stackEnv);
  const sites: Sites = {
    dependencies: new Map(),
    hosts: new Map(),
    declared: new Set((raw.services ?? []).map((s) => s.key)),
    ports: new Map((raw.services ?? []).map((s) => [s.key, (s.value.ports ?? []).map((p) => p.key)])),
  };
  const services: Record<string, ResolvedService> = {};
  for (const { key, value } of raw.services ?? []) {
    const service = resolveService(key, value, { env, hosts, path, sites, diag, options });
    if (service) services[key] = service;
  }
  return {
    config: {
      name: raw.name ?? defaultStackName(options.baseDir),
      file: options.file,
      dir: options.baseDir,
      env,
      hosts,
      services,
    },
    sites,
  };
}

/** The default stack name: the folder's name, with characters a name may not hold replaced by `-`. */
function resolveHost(name: string, raw: RawHost, path: (p: string) => string): ResolvedHost {
  return {
    name,
    address: raw.address ?? '',
    user: raw.user,
    port: raw.port ?? DEFAULTS.host.port,
    identityFile: raw.identity_file === undefined ? undefined : path(raw.identity_file),
    network: raw.network ?? DEFAULTS.host.network,
    labels: Object.fromEntries((raw.labels ?? []).map((l) => [l.key, String(l.value)])),
  };
}

interface ServiceContext {
  readonly env: Record<string, string>;
  readonly hosts: Record<string, ResolvedHost>;
  readonly path: (p: string) => string;
  readonly sites: Sites;
  readonly diag: Diagnostics;
  readonly options: ResolveOptions;
}

function resolveService(name: string, raw: RawService, cx: ServiceContext): ResolvedService | undefined {
  const target = resolveTarget(name, raw, cx);
  const env: Record<string, TextValue> = { ...cx.env };
  if (raw.process?.env_file !== undefined) {
    const files = Array.isArray(raw.process.env_file) ? raw.process.env_file : [raw.process.env_file];
    files.forEach((f, i) => {
      const at = [
        'services',
        name,
        'process',
        'env_file',
        ...(Array.isArray(raw.process?.env_file) ? [i] : []),
      ];
      const values = readEnvFile(f.value, f.range, at, cx.diag, cx.options.baseDir, cx.options.readFile);
      for (const [k, v] of values ?? []) env[k] = v;
    });
  }
  const targetEnv = raw.process?.env ?? raw.docker?.env ?? raw.ssh?.env ?? [];
  for (const { key, value } of targetEnv) env[key] = value;
  const dependsOn = resolveDependencies(name, raw, cx.sites);
  if (!target) return undefined;
  const readiness = raw.readiness ? resolveProbe(raw.readiness, 'readiness') : undefined;
  const liveness = raw.liveness ? resolveProbe(raw.liveness, 'liveness') : undefined;
  const service: Omit<ResolvedService, 'refs'> = {
    name,
    description: raw.description,
    disabled: raw.disabled ?? false,
    replicas: raw.replicas ?? DEFAULTS.replicas,
    target,
    env,
    ports: Object.fromEntries((raw.ports ?? []).map((p) => [p.key, p.value])),
    dependsOn,
    readiness,
    liveness,
    restart: resolveRestart(raw.restart),
    shutdown: resolveShutdown(raw.shutdown),
    logs: {
      maxBytes: raw.logs?.max_size ?? DEFAULTS.logs.maxBytes,
      keep: raw.logs?.keep ?? DEFAULTS.logs.keep,
    },
  };
  return { ...service, refs: collectRefs(service) };
}

function resolveTarget(name: string, raw: RawService, cx: ServiceContext): ServiceTarget | undefined {
  const p = raw.process;
  if (p?.command !== undefined)
    return { kind: 'process', command: toCommand(p.command), cwd: cx.path(p.cwd ?? '.') };
  const d = raw.docker;
  if (d?.image !== undefined) {
    const volumes = (d.volumes ?? []).map((v) =>
      /^[.~/]/.test(v.source) ? { ...v, source: cx.path(v.source) } : v,
    );
    return {
      kind: 'docker',
      image: d.image,
      command: d.command === undefined ? undefined : toCommand(d.command),
      ports: d.ports ?? [],
      volumes,
      network: d.network,
    };
  }
  const s = raw.ssh;
  if (s?.host !== undefined && s.command !== undefined) {
    cx.sites.hosts.set(name, s.host.range);
    return { kind: 'ssh', host: s.host.value, command: toCommand(s.command), cwd: s.cwd };
  }
  const k = raw.package;
  if (k?.host !== undefined && k.path !== undefined && k.start !== undefined) {
    cx.sites.hosts.set(name, k.host.range);
    const via: HostNetwork = k.via ?? cx.hosts[k.host.value]?.network ?? DEFAULTS.host.network;
    return {
      kind: 'package',
      path: cx.path(k.path),
      host: k.host.value,
      via,
      install: k.install === undefined ? undefined : toCommand(k.install),
      start: toCommand(k.start),
    };
  }
  return undefined;
}

function resolveDependencies(name: string, raw: RawService, sites: Sites): Dependency[] {
  const ranges = new Map<string, Range>();
  sites.dependencies.set(name, ranges);
  const out: Dependency[] = [];
  const deps = raw.depends_on;
  if (deps === undefined) return out;
  for (const dep of deps) {
    const entry =
      'key' in dep
        ? { service: dep.key, condition: dep.value.value, range: dep.keyRange }
        : { service: dep.value, condition: DEFAULTS.dependencyCondition, range: dep.range };
    if (ranges.has(entry.service)) continue;
    ranges.set(entry.service, entry.range);
    out.push({ service: entry.service, condition: entry.condition });
  }
  return out;
}

function resolveProbe(raw: RawProbe, kind: 'readiness' | 'liveness'): Probe | undefined {
  const d = DEFAULTS[kind];
  const timing = (probeKind: keyof typeof DEFAULTS.probeTimeoutMs) => ({
    intervalMs: raw.interval ?? d.intervalMs,
    timeoutMs: raw.timeout ?? DEFAULTS.probeTimeoutMs[probeKind],
    retries: raw.retries ?? d.retries,
    startPeriodMs: raw.start_period ?? d.startPeriodMs,
  });
  if (raw.exec !== undefined) return { kind: 'exec', command: toCommand(raw.exec), ...timing('exec') };
  if (raw.http !== undefined) return { kind: 'http', url: raw.http, ...timing('http') };
  if (raw.tcp !== undefined) return { kind: 'tcp', ...splitHostPort(raw.tcp), ...timing('tcp') };
  if (raw.log !== undefined) return { kind: 'log', pattern: raw.log, ...timing('log') };
  return undefined;
}

function resolveRestart(raw: RawService['restart']): RestartSpec {
  const d = DEFAULTS.restart;
  if (raw === undefined || typeof raw === 'string') {
    return {
      policy: raw ?? d.policy,
      maxRestarts: d.maxRestarts,
      backoff: { ...d.backoff },
      resetAfterMs: d.resetAfterMs,
    };
  }
  const b = raw.backoff;
  return {
    policy: raw.policy ?? d.policy,
    maxRestarts: raw.max_restarts ?? d.maxRestarts,
    backoff: {
      initialMs: b?.initial ?? d.backoff.initialMs,
      maxMs: b?.max ?? d.backoff.maxMs,
      factor: b?.factor ?? d.backoff.factor,
      jitter: b?.jitter ?? d.backoff.jitter,
    },
    resetAfterMs: raw.reset_after ?? d.resetAfterMs,
  };
}

function resolveShutdown(raw: RawService['shutdown']): ShutdownSpec {
  return {
    signal: raw?.signal ?? DEFAULTS.shutdown.signal,
    timeoutMs: raw?.timeout ?? DEFAULTS.shutdown.timeoutMs,
  };
}

function commandTexts(command: ServiceCommand | undefined): TextValue[] {
  if (command === undefined) return [];
  return command.shell ? [command.script] : [...command.argv];
}

function probeTexts(probe: Probe | undefined): TextValue[] {
  if (probe === undefined) return [];
  switch (probe.kind) {
    case 'exec':
      return commandTexts(probe.command);
    case 'http':
      return [probe.url];
    case 'tcp':
      return typeof probe.port === 'number' ? [probe.host] : [probe.host, probe.port];
    case 'log':
      return [];
  }
}

/** Every service reference a service uses, in env, commands and probes. */
function collectRefs(service: Omit<ResolvedService, 'refs'>): ServiceRef[] {
  const t = service.target;
  const texts: TextValue[] = [
    ...Object.values(service.env),
    ...(t.kind === 'package'
      ? [...commandTexts(t.install), ...commandTexts(t.start)]
      : commandTexts(t.command)),
    ...probeTexts(service.readiness),
    ...probeTexts(service.liveness),
  ];
  return texts.flatMap(textRefs);
}
