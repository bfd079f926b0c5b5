import type { ResolvedConfig } from '../resolve/types.js';
import { ServiceGraph } from './service-graph.js';

/**
 * The graph of what `up` starts: the named services and everything they need, or, with no names,
 * every service not `disabled` and everything those need (a disabled dependency still starts).
 *
 * @example
 * startGraph(config, ['api']).startWaves(); // [['db'], ['api']]
 */
export function startGraph(config: ResolvedConfig, names: readonly string[] = []): ServiceGraph {
  const graph = ServiceGraph.fromConfig(config);
  const wanted =
    names.length > 0
      ? names
      : Object.values(config.services)
          .filter((s) => !s.disabled)
          .map((s) => s.name);
  return graph.subgraph(wanted);
}
