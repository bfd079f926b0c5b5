import { OrchestrationError } from './errors.js';
import type { ServiceSpec } from './spec.js';

/**
 * Checks the dependency graph of a stack (every dependency exists, no cycle) and returns the
 * services in a start order. The cycle, when there is one, is named in full: `a → b → a`.
 *
 * @example
 * startOrder(services).map((s) => s.name) // dependencies first
 */
export function startOrder(services: readonly ServiceSpec[]): ServiceSpec[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const s of services) {
    for (const dep of Object.keys(s.dependsOn)) {
      if (!byName.has(dep)) {
        throw new OrchestrationError(
          'INVALID_SPEC',
          `service ${s.name} depends on ${dep}, which is not in the stack`,
        );
      }
    }
  }
  const out: ServiceSpec[] = [];
  const mark = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (s: ServiceSpec): void => {
    const m = mark.get(s.name);
    if (m === 'done') return;
    if (m === 'visiting') {
      const cycle = [...path.slice(path.indexOf(s.name)), s.name];
      throw new OrchestrationError('DEPENDENCY_CYCLE', `dependency cycle: ${cycle.join(' → ')}`);
    }
    mark.set(s.name, 'visiting');
    path.push(s.name);
    for (const dep of Object.keys(s.dependsOn)) visit(byName.get(dep) as ServiceSpec);
    path.pop();
    mark.set(s.name, 'done');
    out.push(s);
  };
  for (const s of services) visit(s);
  return out;
}

/** The named services plus everything they depend on, transitively. */
export function withDependencies(services: readonly ServiceSpec[], names: readonly string[]): Set<string> {
  const byName = new Map(services.map((s) => [s.name, s]));
  const out = new Set<string>();
  const add = (name: string): void => {
    if (out.has(name)) return;
    const s = byName.get(name);
    if (s === undefined)
      throw new OrchestrationError('UNKNOWN_SERVICE', `no service named ${name} in the stack`);
    out.add(name);
    for (const dep of Object.keys(s.dependsOn)) add(dep);
  };
  for (const n of names) add(n);
  return out;
}

/** The services that depend on `name`, transitively (those to stop first). */
export function dependents(services: readonly ServiceSpec[], name: string): Set<string> {
  const out = new Set<string>();
  const add = (n: string): void => {
    for (const s of services) {
      if (n in s.dependsOn && !out.has(s.name)) {
        out.add(s.name);
        add(s.name);
      }
    }
  };
  add(name);
  return out;
}
