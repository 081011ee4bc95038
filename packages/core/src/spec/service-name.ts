import type { ServiceSpec } from './spec-types.js';

/** The deployed service name: `${name}-${environment}`. */
export function serviceNameOf(spec: Pick<ServiceSpec, 'name' | 'environment'>): string {
  return `${spec.name}-${spec.environment}`;
}
