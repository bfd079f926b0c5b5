import type { Diagnostics } from '../errors/diagnostics.js';
import { didYouMean } from '../errors/suggest.js';
import { findCycles } from '../graph/cycles.js';
import type { RefSite } from '../interpolate/interpolate.js';
import type { Sites } from './resolve.js';
import type { ServiceRef } from './text.js';
import type { ResolvedConfig } from './types.js';

/**
 * Checks everything that names something else: `depends_on` entries, `host`s, service references
 * (service, port, and that the reference implies an ordering), dependency cycles.
 *
 * @example
 * checkReferences(config, sites, refSites, diag);
 */
export function checkReferences(
  config: ResolvedConfig,
  sites: Sites,
  refSites: ReadonlyMap<ServiceRef, RefSite>,
  diag: Diagnostics,
): void {
  const declared = [...sites.declared];
  const edges = new Map<string, string[]>();
  for (const [name, deps] of sites.dependencies) {
    edges.set(name, []);
    for (const [dep, range] of deps) {
      const path = ['services', name, 'depends_on', dep];
      if (!sites.declared.has(dep)) {
        diag.report({
          code: 'UNKNOWN_SERVICE',
          range,
          path,
          message: `unknown service \`${dep}\``,
          hint: didYouMean(dep, declared, 8),
        });
        continue;
      }
      edges.get(name)?.push(dep);
      const condition = config.services[name]?.dependsOn.find((d) => d.service === dep)?.condition;
      if (condition === 'completed' && config.services[dep]?.restart.policy === 'always') {
        diag.report({
          code: 'COMPLETED_NEVER_COMPLETES',
          severity: 'warning',
          range,
          path,
          message: `\`${name}\` waits for \`${dep}\` to complete, but \`${dep}\` restarts always`,
          hint: `give \`${dep}\` \`restart: on-failure\` or \`never\``,
        });
      }
    }
  }
  for (const cycle of findCycles(edges)) {
    const [from = '', to = ''] = cycle;
    diag.report({
      code: 'DEPENDENCY_CYCLE',
      range: sites.dependencies.get(from)?.get(to),
      path: ['services', from, 'depends_on', to],
      message: `dependency cycle: ${cycle.join(' → ')}`,
      hint: 'remove one of these `depends_on` entries',
    });
  }
  const hostNames = Object.keys(config.hosts);
  for (const [name, range] of sites.hosts) {
    const service = config.services[name];
    const host =
      service?.target.kind === 'ssh' || service?.target.kind === 'package' ? service.target.host : undefined;
    if (host === undefined || host in config.hosts) continue;
    diag.report({
      code: 'UNKNOWN_HOST',
      range,
      path: ['services', name, service?.target.kind ?? '', 'host'],
      message: `unknown host \`${host}\``,
      hint: didYouMean(host, hostNames, 8) ?? 'declare it under the top-level `hosts:`',
    });
  }
  checkServiceRefs(config, sites, refSites, edges, diag);
}

function checkServiceRefs(
  config: ResolvedConfig,
  sites: Sites,
  refSites: ReadonlyMap<ServiceRef, RefSite>,
  edges: ReadonlyMap<string, readonly string[]>,
  diag: Diagnostics,
): void {
  const declared = [...sites.declared];
  for (const service of Object.values(config.services)) {
    const needs = reachable(service.name, edges);
    for (const ref of service.refs) {
      const site = refSites.get(ref);
      const range = site?.range;
      const path = site?.path ?? ['services', service.name];
      const shown = `\`\${${ref.expression}}\``;
      if (!sites.declared.has(ref.service)) {
        diag.report({
          code: 'UNKNOWN_SERVICE',
          range,
          path,
          message: `${shown} refers to an unknown service \`${ref.service}\``,
          hint: didYouMean(ref.service, declared, 8),
        });
        continue;
      }
      const ports = sites.ports.get(ref.service) ?? [];
      if (ref.property === 'port') {
        if (ports.length === 0) {
          diag.report({
            code: 'NO_PORTS',
            range,
            path,
            message: `${shown}: service \`${ref.service}\` declares no ports`,
            hint: `add \`ports: { NAME: PORT }\` to \`${ref.service}\``,
          });
        } else if (!ports.includes(ref.port)) {
          diag.report({
            code: 'UNKNOWN_PORT',
            range,
            path,
            message: `${shown}: service \`${ref.service}\` has no port \`${ref.port}\``,
            hint: didYouMean(ref.port, ports, 8),
          });
        }
      }
      if (ref.service !== service.name && !needs.has(ref.service)) {
        diag.report({
          code: 'REF_WITHOUT_DEPENDENCY',
          severity: 'warning',
          range,
          path,
          message: `\`${service.name}\` uses ${shown} but does not depend on \`${ref.service}\``,
          hint: `add \`${ref.service}\` to the \`depends_on\` of \`${service.name}\` so it starts first`,
        });
      }
    }
  }
}

function reachable(from: string, edges: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    for (const next of edges.get(todo.pop() ?? '') ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen;
}
