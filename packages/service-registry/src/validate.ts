import { RegistryError } from './errors.js';
import { nameProblem } from './keys.js';
import {
  type HostRegistration,
  SERVICE_STATES,
  type ServiceRegistration,
  type ServiceState,
} from './types.js';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const q = (v: unknown): string => JSON.stringify(v) ?? String(v);

function isIsoTime(v: unknown): boolean {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v));
}

function checkStringMap(path: string, v: unknown, out: string[]): void {
  if (v === undefined) return;
  if (!isObject(v)) out.push(`${path} must be an object of strings, got ${q(v)}`);
  else
    for (const [k, s] of Object.entries(v))
      if (typeof s !== 'string') out.push(`${path}.${k} must be a string, got ${q(s)}`);
}

function checkTarget(v: unknown, out: string[]): void {
  if (v === undefined) return;
  const t = isObject(v) ? v : {};
  const pid = (x: unknown) => Number.isInteger(x) && (x as number) > 0;
  if (t.kind === 'process') {
    if (!pid(t.pid)) out.push(`target.pid must be a positive integer, got ${q(t.pid)}`);
    if (typeof t.startTime !== 'number' || t.startTime < 0)
      out.push(`target.startTime must be a number, got ${q(t.startTime)}`);
  } else if (t.kind === 'container') {
    if (typeof t.containerId !== 'string' || t.containerId === '')
      out.push(`target.containerId must be a non-empty string, got ${q(t.containerId)}`);
  } else if (t.kind === 'remote') {
    const p = nameProblem('target.host', t.host);
    if (p !== undefined) out.push(p);
    if (t.pid !== undefined && !pid(t.pid))
      out.push(`target.pid must be a positive integer, got ${q(t.pid)}`);
  } else {
    out.push(`target.kind must be "process", "container" or "remote", got ${q(isObject(v) ? v.kind : v)}`);
  }
}

function checkEndpoints(v: unknown, out: string[]): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) {
    out.push(`endpoints must be an array, got ${q(v)}`);
    return;
  }
  const seen = new Set<string>();
  v.forEach((e: unknown, i) => {
    const at = `endpoints[${i}]`;
    if (!isObject(e)) {
      out.push(`${at} must be { name, port, host?, protocol? }, got ${q(e)}`);
      return;
    }
    const p = nameProblem(`${at}.name`, e.name);
    if (p !== undefined) out.push(p);
    else if (seen.has(e.name as string)) out.push(`${at}.name ${q(e.name)} is used twice`);
    else seen.add(e.name as string);
    if (!Number.isInteger(e.port) || (e.port as number) < 1 || (e.port as number) > 65535) {
      out.push(`${at}.port must be an integer from 1 to 65535, got ${q(e.port)}`);
    }
    if (e.host !== undefined && (typeof e.host !== 'string' || e.host === ''))
      out.push(`${at}.host must be a non-empty string, got ${q(e.host)}`);
    if (e.protocol !== undefined && typeof e.protocol !== 'string')
      out.push(`${at}.protocol must be a string, got ${q(e.protocol)}`);
  });
}

function checkHealth(v: unknown, out: string[]): void {
  if (v === undefined) return;
  if (!isObject(v) || !['unknown', 'passing', 'failing'].includes(v.status as string)) {
    out.push(`health.status must be "unknown", "passing" or "failing", got ${q(isObject(v) ? v.status : v)}`);
    return;
  }
  if (v.checkedAt !== undefined && !isIsoTime(v.checkedAt))
    out.push(`health.checkedAt must be an ISO time, got ${q(v.checkedAt)}`);
  if (v.failures !== undefined && (!Number.isInteger(v.failures) || (v.failures as number) < 0)) {
    out.push(`health.failures must be a non-negative integer, got ${q(v.failures)}`);
  }
}

/** Every problem with a registration (after defaults and patches), or an empty list. */
export function registrationProblems(r: ServiceRegistration): string[] {
  const out: string[] = [];
  for (const [what, value] of [
    ['stack', r.stack],
    ['service', r.service],
    ['instance', String(r.instance ?? 0)],
    ['host', r.host],
  ] as const) {
    const p = nameProblem(what, value);
    if (p !== undefined) out.push(p);
  }
  if (r.state !== undefined && !SERVICE_STATES.includes(r.state as ServiceState)) {
    out.push(`state must be one of ${SERVICE_STATES.join(', ')}, got ${q(r.state)}`);
  }
  checkTarget(r.target, out);
  checkEndpoints(r.endpoints, out);
  checkHealth(r.health, out);
  for (const f of ['startedAt', 'nextAttemptAt'] as const) {
    if (r[f] !== undefined && !isIsoTime(r[f])) out.push(`${f} must be an ISO time, got ${q(r[f])}`);
  }
  if (r.restarts !== undefined && (!Number.isInteger(r.restarts) || r.restarts < 0)) {
    out.push(`restarts must be a non-negative integer, got ${q(r.restarts)}`);
  }
  if (
    r.exit !== undefined &&
    (!isObject(r.exit) || !(r.exit.code === null || Number.isInteger(r.exit.code)))
  ) {
    out.push(`exit must be { code: integer | null, signal? }, got ${q(r.exit)}`);
  }
  if (r.reason !== undefined && typeof r.reason !== 'string')
    out.push(`reason must be a string, got ${q(r.reason)}`);
  checkStringMap('labels', r.labels, out);
  if (r.meta !== undefined && !isObject(r.meta)) out.push(`meta must be an object, got ${q(r.meta)}`);
  return out;
}

/** Every problem with a host registration, or an empty list. */
export function hostProblems(h: HostRegistration): string[] {
  const out: string[] = [];
  const p = nameProblem('name', h.name);
  if (p !== undefined) out.push(p);
  if (typeof h.address !== 'string' || h.address === '')
    out.push(`address must be a non-empty string, got ${q(h.address)}`);
  if (!['local', 'lan', 'wireguard'].includes(h.network)) {
    out.push(`network must be "local", "lan" or "wireguard", got ${q(h.network)}`);
  }
  if (
    h.wireguardAddress !== undefined &&
    (typeof h.wireguardAddress !== 'string' || h.wireguardAddress === '')
  ) {
    out.push(`wireguardAddress must be a non-empty string, got ${q(h.wireguardAddress)}`);
  } else if (h.network === 'wireguard' && h.wireguardAddress === undefined) {
    out.push('wireguardAddress is required when network is "wireguard"');
  }
  checkStringMap('labels', h.labels, out);
  return out;
}

/** Throws one `INVALID` error listing every problem, when there are any. */
export function throwIfProblems(what: string, problems: readonly string[], key?: string): void {
  if (problems.length === 0) return;
  throw new RegistryError('INVALID', `invalid ${what}: ${problems.join('; ')}`, {
    problems,
    ...(key === undefined ? {} : { key }),
  });
}
