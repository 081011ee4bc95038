/** The services' `dependsOn` graph: checks and order. Pure. */
import type { ValidationIssue } from '@berth/core';

interface GraphInput {
  services: Record<string, { dependsOn: string[] }>;
}

/** Unknown or self dependencies, and cycles, as config issues. */
export function dependencyIssues(config: GraphInput): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const names = Object.keys(config.services);
  for (const [key, service] of Object.entries(config.services))
    service.dependsOn.forEach((dependency, index) => {
      if (dependency === key)
        issues.push({
          path: `services.${key}.dependsOn.${index}`,
          message: 'a service cannot depend on itself',
          hint: `Remove "${key}" from its own dependsOn.`,
        });
      else if (!names.includes(dependency))
        issues.push({
          path: `services.${key}.dependsOn.${index}`,
          message: `"${dependency}" is not a service of this config`,
          hint: `Use one of ${names.map((name) => `"${name}"`).join(', ')}.`,
        });
    });
  if (issues.length > 0) return issues;
  const cycle = findCycle(config);
  if (cycle)
    issues.push({
      path: `services.${cycle[0]}.dependsOn`,
      message: `dependency cycle ${cycle.join(' → ')}`,
      hint: 'Remove one of these dependsOn entries: services must deploy in some order.',
    });
  return issues;
}

function findCycle(config: GraphInput): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dependency of config.services[name]?.dependsOn ?? []) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(config.services)) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Services in dependency order (dependencies first; config order among equals). `selected` keeps
 * only those; `reverse` gives the order for `down` (dependents first).
 */
export function serviceOrder(config: GraphInput, selected?: string[], reverse = false): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dependency of config.services[name]?.dependsOn ?? []) visit(dependency);
    order.push(name);
  };
  for (const name of Object.keys(config.services)) visit(name);
  const kept = selected && selected.length > 0 ? order.filter((name) => selected.includes(name)) : order;
  return reverse ? kept.reverse() : kept;
}

/** Dependencies of `name` among `among` (direct ones). */
export function dependenciesAmong(config: GraphInput, name: string, among: string[]): string[] {
  return (config.services[name]?.dependsOn ?? []).filter((dependency) => among.includes(dependency));
}
