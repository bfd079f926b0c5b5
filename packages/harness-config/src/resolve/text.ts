/**
 * Strings that may hold service references. Environment variables are substituted when the file is
 * loaded; `${services.NAME.host}`, `${services.NAME.port}` and `${services.NAME.ports.P}` are kept as
 * typed references, because only the orchestrator knows, at start time, where NAME runs.
 */

/**
 * A reference to another service's address, resolved when the referring service starts, as seen
 * from the host the referring service runs on.
 */
export type ServiceRef =
  | {
      readonly type: 'service-ref';
      /** `${services.db.host}`: the address of the host `service` runs on. */
      readonly property: 'host';
      readonly service: string;
      /** The reference as written, e.g. `services.db.host`. */
      readonly expression: string;
    }
  | {
      readonly type: 'service-ref';
      /**
       * `${services.db.ports.pg}`: the port named `port`. `${services.db.port}` is the same with
       * `port` set to the service's first declared port.
       */
      readonly property: 'port';
      readonly service: string;
      /** The name of the port in the target service's `ports`. */
      readonly port: string;
      readonly expression: string;
    };

/** A piece of a template: literal text or a service reference. */
export type TextPart = string | ServiceRef;

/** A string that holds at least one service reference, as literal pieces and references. */
export interface Template {
  readonly type: 'template';
  readonly parts: readonly TextPart[];
}

/**
 * A string value that may need start-time resolution: a plain string when it holds no service
 * reference (the common case), else a {@link Template}.
 */
export type TextValue = string | Template;

/**
 * Renders a value, asking `resolve` for each service reference.
 *
 * @example
 * renderText({ type: 'template', parts: ['postgres://', ref, ':5432'] }, (r) => '10.0.0.5');
 * // 'postgres://10.0.0.5:5432'
 */
export function renderText(value: TextValue, resolve: (ref: ServiceRef) => string): string {
  if (typeof value === 'string') return value;
  return value.parts.map((part) => (typeof part === 'string' ? part : resolve(part))).join('');
}

/**
 * The service references a value holds (none for a plain string).
 *
 * @example
 * textRefs('plain'); // []
 */
export function textRefs(value: TextValue): ServiceRef[] {
  if (typeof value === 'string') return [];
  return value.parts.filter((p): p is ServiceRef => typeof p !== 'string');
}

/**
 * Builds a {@link TextValue} from parts: merges adjacent literals and returns a plain string when
 * there is no reference.
 *
 * @example
 * toTextValue(['a', 'b']); // 'ab'
 */
export function toTextValue(parts: readonly TextPart[]): TextValue {
  const merged: TextPart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (typeof part === 'string' && typeof last === 'string') merged[merged.length - 1] = last + part;
    else if (part !== '') merged.push(part);
  }
  if (merged.every((p) => typeof p === 'string')) return merged.join('');
  return { type: 'template', parts: merged };
}

/**
 * The value written back as configuration text: literals with `$` doubled, references as `${…}`.
 *
 * @example
 * textToSource({ type: 'template', parts: ['http://', hostRef] }); // 'http://${services.api.host}'
 */
export function textToSource(value: TextValue): string {
  const parts = typeof value === 'string' ? [value] : value.parts;
  return parts
    .map((p) => (typeof p === 'string' ? p.replaceAll('$', () => '$$') : `\${${p.expression}}`))
    .join('');
}
