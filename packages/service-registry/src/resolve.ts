import { RegistryError } from './errors.js';
import { didYouMean, suggest } from './suggest.js';
import type {
  Endpoint,
  HostRecord,
  ResolvedAddress,
  ServiceRecord,
  ServiceRef,
  ServiceState,
} from './types.js';

/** Which instance to prefer, best first. */
const PREFERENCE: readonly ServiceState[] = ['healthy', 'running', 'unhealthy', 'starting'];
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '*']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** What {@link resolveAddress} needs to know; it reads nothing itself. */
export interface ResolveInput {
  readonly ref: ServiceRef;
  readonly fromHost: string;
  /** The instances of `ref.stack/ref.service`. */
  readonly instances: readonly ServiceRecord[];
  /** Every service name registered in the stack, for "did you mean". */
  readonly servicesInStack: readonly string[];
  readonly hosts: ReadonlyMap<string, HostRecord>;
}

/**
 * Picks the instance and address to use for `ref` from `fromHost`. Instances: the pinned one, or
 * the best by state (healthy, running, unhealthy, starting, then any), on `fromHost` first, then by
 * instance name. Address: same host → `127.0.0.1`; both on the LAN → the target's `address`; both
 * with WireGuard addresses → the target's `wireguardAddress`; otherwise `UNRESOLVABLE`.
 *
 * @example
 * resolveAddress({ ref: { stack: 'shop', service: 'db', endpoint: 'pg' }, fromHost: 'a', instances, servicesInStack, hosts });
 */
export function resolveAddress(input: ResolveInput): ResolvedAddress {
  const { ref, fromHost, hosts } = input;
  const name = `${ref.stack}/${ref.service}`;
  const from = hosts.get(fromHost);
  if (from === undefined) throw unknownHost(fromHost, hosts, 'the resolving host');
  const record = pickInstance(input, name);
  const endpoint = pickEndpoint(record, ref.endpoint);
  const base = { port: endpoint.port, endpoint: endpoint.name, record, ...protocol(endpoint) };
  const bound = endpoint.host;
  if (bound !== undefined && !WILDCARD.has(bound) && !LOOPBACK.has(bound))
    return { ...base, host: bound, via: 'explicit' };
  if (record.host === fromHost) return { ...base, host: '127.0.0.1', via: 'loopback' };
  const to = hosts.get(record.host);
  if (to === undefined) throw unknownHost(record.host, hosts, `the host of ${record.key}`);
  const cannot = (why: string) =>
    new RegistryError(
      'UNRESOLVABLE',
      `${name} (${endpoint.name}) on host "${to.name}" cannot be reached from host "${fromHost}": ${why}`,
      {
        key: record.key,
      },
    );
  if (bound !== undefined && LOOPBACK.has(bound)) throw cannot(`it listens on ${bound} only`);
  if (to.network === 'local') throw cannot(`host "${to.name}" is local-only (network "local")`);
  if (from.network === 'lan' && to.network === 'lan') return { ...base, host: to.address, via: 'lan' };
  const fromInMesh = from.wireguardAddress !== undefined;
  if (fromInMesh && to.wireguardAddress !== undefined)
    return { ...base, host: to.wireguardAddress, via: 'wireguard' };
  const where = (h: HostRecord) =>
    `"${h.name}" is on network "${h.network}"${h.wireguardAddress === undefined ? ' without a WireGuard address' : ''}`;
  throw cannot(`${where(from)} and ${where(to)}; they share no network`);
}

function protocol(e: Endpoint): { protocol?: string } {
  return e.protocol === undefined ? {} : { protocol: e.protocol };
}

function pickInstance(input: ResolveInput, name: string): ServiceRecord {
  const { ref, instances, fromHost } = input;
  if (instances.length === 0) {
    const suggestions = suggest(ref.service, input.servicesInStack);
    throw new RegistryError('NOT_FOUND', `service ${name} is not registered.${didYouMean(suggestions)}`, {
      key: name,
      suggestions,
    });
  }
  if (ref.instance !== undefined) {
    const wanted = String(ref.instance);
    const found = instances.find((r) => r.instance === wanted);
    if (found === undefined) {
      const suggestions = instances.map((r) => r.instance);
      throw new RegistryError(
        'NOT_FOUND',
        `service ${name} has no instance "${wanted}" (it has ${suggestions.join(', ')})`,
        {
          key: `${name}/${wanted}`,
          suggestions,
        },
      );
    }
    return found;
  }
  const rank = (r: ServiceRecord) => {
    const i = PREFERENCE.indexOf(r.state);
    return (i === -1 ? PREFERENCE.length : i) * 2 + (r.host === fromHost ? 0 : 1);
  };
  return [...instances].sort(
    (a, b) => rank(a) - rank(b) || a.instance.localeCompare(b.instance, 'en', { numeric: true }),
  )[0]!;
}

function pickEndpoint(record: ServiceRecord, wanted: string | undefined): Endpoint {
  const names = record.endpoints.map((e) => e.name);
  if (wanted === undefined) {
    if (record.endpoints.length === 1) return record.endpoints[0]!;
    const why =
      names.length === 0 ? 'has no endpoints' : `has several endpoints (${names.join(', ')}); name one`;
    throw new RegistryError('UNKNOWN_ENDPOINT', `service ${record.stack}/${record.service} ${why}`, {
      key: record.key,
      suggestions: names,
    });
  }
  const found = record.endpoints.find((e) => e.name === wanted);
  if (found !== undefined) return found;
  const suggestions = suggest(wanted, names);
  const has = names.length === 0 ? 'it has none' : `it has ${names.join(', ')}`;
  throw new RegistryError(
    'UNKNOWN_ENDPOINT',
    `service ${record.stack}/${record.service} has no endpoint "${wanted}" (${has}).${didYouMean(suggestions)}`,
    { key: record.key, suggestions },
  );
}

function unknownHost(name: string, hosts: ReadonlyMap<string, HostRecord>, role: string): RegistryError {
  const suggestions = suggest(name, hosts.keys());
  return new RegistryError(
    'UNKNOWN_HOST',
    `host "${name}" (${role}) is not registered.${didYouMean(suggestions)}`,
    {
      key: name,
      suggestions,
    },
  );
}
