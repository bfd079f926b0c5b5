import { RegistryError } from './errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Store key prefix of all service records. */
export const SERVICES = 'services/';
/** Store key prefix of all host records. */
export const HOSTS = 'hosts/';

/** A problem with `value` as a name, or `undefined` when it is a valid one. */
export function nameProblem(what: string, value: unknown): string | undefined {
  if (typeof value === 'string' && NAME.test(value)) return undefined;
  return `${what} must be 1-128 letters, digits, "_", "." or "-" (not starting with one of the last three), got ${JSON.stringify(value)}`;
}

/** The three parts that name one instance. */
export interface ServiceKeyParts {
  readonly stack: string;
  readonly service: string;
  readonly instance?: string | number;
}

/**
 * The key of an instance, `stack/service/instance` (instance defaults to `0`).
 *
 * @example
 * serviceKey({ stack: 'shop', service: 'api', instance: 2 }); // 'shop/api/2'
 */
export function serviceKey(parts: ServiceKeyParts): string {
  const instance = String(parts.instance ?? 0);
  const problems = [
    nameProblem('stack', parts.stack),
    nameProblem('service', parts.service),
    nameProblem('instance', instance),
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new RegistryError('INVALID', problems.join('; '), { problems });
  return `${parts.stack}/${parts.service}/${instance}`;
}

/**
 * Splits a key made by {@link serviceKey}; rejects anything else with `INVALID`.
 *
 * @example
 * parseServiceKey('shop/api/0'); // { stack: 'shop', service: 'api', instance: '0' }
 */
export function parseServiceKey(key: string): { stack: string; service: string; instance: string } {
  const [stack, service, instance, ...rest] = key.split('/');
  if (stack === undefined || service === undefined || instance === undefined || rest.length > 0) {
    throw new RegistryError(
      'INVALID',
      `a service key is "stack/service/instance", got ${JSON.stringify(key)}`,
      {
        key,
        problems: [`key: ${JSON.stringify(key)}`],
      },
    );
  }
  serviceKey({ stack, service, instance });
  return { stack, service, instance };
}

/** The store key prefix that covers `stack` (and `service`), or all services. */
export function servicePrefix(stack?: string, service?: string): string {
  if (stack === undefined) return SERVICES;
  if (service === undefined) return `${SERVICES}${stack}/`;
  return `${SERVICES}${stack}/${service}/`;
}
