import { INVALID, type Schema, wrongType } from './schema.js';

/** A published container port. */
export interface PortMapping {
  /** Host address to bind; undefined for all addresses. */
  readonly hostIp: string | undefined;
  /** Host port; undefined lets Docker pick one. */
  readonly hostPort: number | undefined;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

/** A mount into a container. */
export interface VolumeMount {
  /** A host path (absolute after resolution) or a named volume. */
  readonly source: string;
  /** The path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

const PORT = /^(?:(\[[0-9a-fA-F:.]+\]|\d+\.\d+\.\d+\.\d+):)?(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/;

const validPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

/**
 * Parses a docker port: `8080`, `"6379:6379"`, `"127.0.0.1:8080:80"`, `"5353:53/udp"`.
 *
 * @example
 * parsePortMapping('127.0.0.1:8080:80'); // { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }
 */
export function parsePortMapping(text: string): PortMapping | undefined {
  const m = PORT.exec(text.trim());
  if (!m) return undefined;
  const [, ip, host, container = '', protocol] = m;
  const hostPort = host === undefined ? undefined : Number(host);
  const containerPort = Number(container);
  if (!validPort(containerPort) || (hostPort !== undefined && !validPort(hostPort))) return undefined;
  return {
    hostIp: ip?.replace(/^\[|\]$/g, ''),
    hostPort,
    containerPort,
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
  };
}

/** The schema of one entry of `docker.ports`. */
export const parseDockerPort: Schema<PortMapping> = {
  expected: 'a port mapping',
  check(node, path, diag) {
    if (node.kind !== 'scalar' || (typeof node.value !== 'string' && typeof node.value !== 'number')) {
      return wrongType(diag, node, path, 'a port mapping like `"8080:80"`');
    }
    const mapping = parsePortMapping(String(node.value));
    if (mapping) return mapping;
    diag.report({
      code: 'INVALID_PORT_MAPPING',
      range: node.range,
      path,
      message: `${JSON.stringify(String(node.value))} is not a port mapping`,
      hint: 'write `"HOST:CONTAINER"`, `"IP:HOST:CONTAINER"`, `CONTAINER`, optionally ending in `/udp`; ports are 1-65535',
    });
    return INVALID;
  },
  json: () => ({
    anyOf: [
      { type: 'integer', minimum: 1, maximum: 65535 },
      { type: 'string', pattern: PORT.source },
    ],
  }),
};

/** The schema of one entry of `docker.volumes`. */
export const parseVolume: Schema<VolumeMount> = {
  expected: 'a volume',
  check(node, path, diag) {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') {
      return wrongType(diag, node, path, 'a volume like `"./data:/data"`');
    }
    const parts = node.value.split(':');
    const [source = '', target = '', mode] = parts;
    if (
      parts.length < 2 ||
      parts.length > 3 ||
      source === '' ||
      !target.startsWith('/') ||
      (mode !== undefined && mode !== 'ro' && mode !== 'rw')
    ) {
      diag.report({
        code: 'INVALID_VALUE',
        range: node.range,
        path,
        message: `${JSON.stringify(node.value)} is not a volume`,
        hint: 'write `"SOURCE:/container/path"` or `"SOURCE:/container/path:ro"`',
      });
      return INVALID;
    }
    return { source, target, readOnly: mode === 'ro' };
  },
  json: () => ({ type: 'string', pattern: '^[^:]+:/[^:]*(:(ro|rw))?$' }),
};
