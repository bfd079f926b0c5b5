import { ConfigError } from '../errors/config-error.js';
import { didYouMean } from '../errors/suggest.js';
import type { Dependency, ResolvedConfig } from '../resolve/types.js';
import { findCycles } from './cycles.js';

/**
 * The dependency graph of a stack: start order, start waves (services whose dependencies are all
 * in earlier waves start together), shutdown in reverse, and the subgraph `up SERVICE…` needs.
 * Pure: it computes orders, it runs nothing. Within a wave, services keep declaration order.
 *
 * @example
 * const graph = ServiceGraph.fromConfig(config);
 * graph.startWaves(); // [['db', 'cache'], ['api'], ['web']]
 * graph.subgraph(['api']).startOrder(); // ['db', 'api']
 */
export class ServiceGraph {
  readonly #deps: ReadonlyMap<string, readonly Dependency[]>;
  readonly #file: string;

  /**
   * Builds a graph from each service's dependencies (dependencies on names not in the map are
   * ignored). Throws a `DEPENDENCY_CYCLE` {@link ConfigError} when the graph has a cycle.
   *
   * @example
   * new ServiceGraph(new Map([['api', [{ service: 'db', condition: 'healthy' }]], ['db', []]]));
   */
  constructor(dependencies: ReadonlyMap<string, readonly Dependency[]>, file = '') {
    this.#deps = dependencies;
    this.#file = file;
    const cycle = findCycles(this.#edges())[0];
    if (cycle) {
      throw new ConfigError({
        code: 'DEPENDENCY_CYCLE',
        file,
        line: 0,
        column: 0,
        path: '',
        message: `dependency cycle: ${cycle.join(' → ')}`,
      });
    }
  }

  /**
   * The graph of a resolved configuration.
   *
   * @example
   * ServiceGraph.fromConfig(config).startOrder();
   */
  static fromConfig(config: ResolvedConfig): ServiceGraph {
    return new ServiceGraph(
      new Map(Object.values(config.services).map((s) => [s.name, s.dependsOn])),
      config.file,
    );
  }

  /** The services, in declaration order. */
  get services(): string[] {
    return [...this.#deps.keys()];
  }

  /** The direct dependencies of a service. */
  dependenciesOf(name: string): readonly Dependency[] {
    return (this.#deps.get(name) ?? []).filter((d) => this.#deps.has(d.service));
  }

  /** The services that depend directly on `name`. */
  dependentsOf(name: string): string[] {
    return this.services.filter((s) => this.dependenciesOf(s).some((d) => d.service === name));
  }

  /** Every service `name` needs, directly or not (not including itself). */
  transitiveDependencies(name: string): Set<string> {
    const seen = new Set<string>();
    const todo = [name];
    while (todo.length > 0) {
      for (const d of this.dependenciesOf(todo.pop() ?? '')) {
        if (!seen.has(d.service)) {
          seen.add(d.service);
          todo.push(d.service);
        }
      }
    }
    seen.delete(name);
    return seen;
  }

  /** Start waves: each wave's dependencies are all in earlier waves. */
  startWaves(): string[][] {
    return layers(this.services, (s) => this.dependenciesOf(s).map((d) => d.service));
  }

  /** A topological start order (the waves, flattened). */
  startOrder(): string[] {
    return this.startWaves().flat();
  }

  /** Shutdown waves: each service stops only after every service depending on it has stopped. */
  shutdownWaves(): string[][] {
    return layers(this.services, (s) => this.dependentsOf(s));
  }

  /** A shutdown order (the shutdown waves, flattened). */
  shutdownOrder(): string[] {
    return this.shutdownWaves().flat();
  }

  /**
   * The graph restricted to `names` and everything they need, directly or not. Throws an
   * `UNKNOWN_SERVICE` {@link ConfigError} (with a "did you mean") for a name not in the graph.
   */
  subgraph(names: Iterable<string>): ServiceGraph {
    const keep = new Set<string>();
    for (const name of names) {
      if (!this.#deps.has(name)) {
        throw new ConfigError({
          code: 'UNKNOWN_SERVICE',
          file: this.#file,
          line: 0,
          column: 0,
          path: '',
          message: `unknown service \`${name}\``,
          hint: didYouMean(name, this.services, 8),
        });
      }
      keep.add(name);
      for (const d of this.transitiveDependencies(name)) keep.add(d);
    }
    return new ServiceGraph(new Map([...this.#deps].filter(([n]) => keep.has(n))), this.#file);
  }

  #edges(): Map<string, string[]> {
    return new Map(this.services.map((s) => [s, this.dependenciesOf(s).map((d) => d.service)]));
  }
}

/** Kahn's algorithm in layers; `before(n)` lists what must come before `n`. */
function layers(nodes: readonly string[], before: (n: string) => string[]): string[][] {
  const placed = new Set<string>();
  const out: string[][] = [];
  let rest = [...nodes];
  while (rest.length > 0) {
    const wave = rest.filter((n) => before(n).every((b) => placed.has(b)));
    if (wave.length === 0) break; // unreachable: the constructor rejects cycles
    for (const n of wave) placed.add(n);
    out.push(wave);
    rest = rest.filter((n) => !placed.has(n));
  }
  return out;
}
