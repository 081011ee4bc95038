import type { ContainerInstance, ServiceEndpoint } from '@berth/emulator-runtime';
import type { AppSpec } from './app-spec.js';
import { type ProgressStep, progressView } from './deployment-progress.js';

/** `apps_deployment_phase`. */
export type DeploymentPhase =
  | 'UNKNOWN'
  | 'PENDING_BUILD'
  | 'BUILDING'
  | 'PENDING_DEPLOY'
  | 'DEPLOYING'
  | 'ACTIVE'
  | 'SUPERSEDED'
  | 'ERROR'
  | 'CANCELED';

/** Phases a deployment does not leave. */
export const terminalPhases: readonly DeploymentPhase[] = ['ACTIVE', 'SUPERSEDED', 'ERROR', 'CANCELED'];

/** One deployment as the emulator keeps it (times in epoch ms). */
export interface DeploymentRecord {
  id: string;
  appId: string;
  /** The spec deployed, secrets encrypted. */
  spec: AppSpec;
  cause: string;
  clonedFrom?: string;
  phase: DeploymentPhase;
  createdAt: number;
  updatedAt: number;
  phaseLastUpdatedAt: number;
  steps: ProgressStep[];
  /** The running container of each component, once started. */
  instances: Map<string, ContainerInstance>;
  /** Lines served as the deployment's logs. */
  log: string[];
}

/** One app as the emulator keeps it. */
export interface AppRecord {
  id: string;
  spec: AppSpec;
  createdAt: number;
  updatedAt: number;
  /** The app's stable loopback URL, open from creation; routed once a deployment is ACTIVE. */
  endpoint: ServiceEndpoint;
  deployments: DeploymentRecord[];
  active?: DeploymentRecord;
  /** The deployment a rollback pinned the app to, until committed or reverted. */
  pinned?: DeploymentRecord;
  /** The spec before a pinned rollback, which a revert deploys again. */
  specBeforeRollback?: AppSpec;
  projectId: string;
}

/** `apps_region` for each spec region slug. */
export const regions: Record<string, Record<string, unknown>> = {
  atl: { slug: 'atl', label: 'Atlanta', flag: 'usa', continent: 'North America', data_centers: ['atl1'] },
  nyc: {
    slug: 'nyc',
    label: 'New York',
    flag: 'usa',
    continent: 'North America',
    data_centers: ['nyc1', 'nyc3'],
  },
  sfo: {
    slug: 'sfo',
    label: 'San Francisco',
    flag: 'usa',
    continent: 'North America',
    data_centers: ['sfo3'],
  },
  tor: { slug: 'tor', label: 'Toronto', flag: 'canada', continent: 'North America', data_centers: ['tor1'] },
  ams: { slug: 'ams', label: 'Amsterdam', flag: 'netherlands', continent: 'Europe', data_centers: ['ams3'] },
  fra: { slug: 'fra', label: 'Frankfurt', flag: 'germany', continent: 'Europe', data_centers: ['fra1'] },
  lon: { slug: 'lon', label: 'London', flag: 'uk', continent: 'Europe', data_centers: ['lon1'] },
  blr: { slug: 'blr', label: 'Bangalore', flag: 'india', continent: 'Asia', data_centers: ['blr1'] },
  sgp: { slug: 'sgp', label: 'Singapore', flag: 'singapore', continent: 'Asia', data_centers: ['sgp1'] },
  syd: { slug: 'syd', label: 'Sydney', flag: 'australia', continent: 'Australia', data_centers: ['syd1'] },
};

const iso = (time: number) => new Date(time).toISOString();

/** `apps_deployment` on the wire. */
export function deploymentView(deployment: DeploymentRecord): Record<string, unknown> {
  return {
    id: deployment.id,
    spec: deployment.spec,
    services: (deployment.spec.services ?? []).map((service) => ({ name: service.name })),
    static_sites: [],
    workers: [],
    jobs: [],
    functions: [],
    phase: deployment.phase,
    phase_last_updated_at: iso(deployment.phaseLastUpdatedAt),
    created_at: iso(deployment.createdAt),
    updated_at: iso(deployment.updatedAt),
    cause: deployment.cause,
    ...(deployment.clonedFrom ? { cloned_from: deployment.clonedFrom } : {}),
    progress: progressView(deployment.steps),
    tier_slug: 'basic',
  };
}

/** The deployment now in progress (at most one), if any. */
export function inProgress(app: AppRecord): DeploymentRecord | undefined {
  return app.deployments.find((deployment) => !terminalPhases.includes(deployment.phase));
}

/** `app` on the wire: `live_url` and `default_ingress` only once a deployment has been ACTIVE. */
export function appView(
  app: AppRecord,
  ownerUuid: string,
  defaultRegion: string,
  /** The deployment a create or update just made: always shown as `pending_deployment`. */
  created?: DeploymentRecord,
): Record<string, unknown> {
  const running = inProgress(app);
  const pending = created ?? (running?.phase === 'PENDING_BUILD' ? running : undefined);
  const last = app.deployments.at(-1);
  const url = `http://${app.endpoint.host}`;
  return {
    id: app.id,
    owner_uuid: ownerUuid,
    spec: app.spec,
    project_id: app.projectId,
    region: regions[app.spec.region ?? defaultRegion] ?? regions[defaultRegion],
    tier_slug: 'basic',
    created_at: iso(app.createdAt),
    updated_at: iso(app.updatedAt),
    ...(last ? { last_deployment_created_at: iso(last.createdAt) } : {}),
    ...(app.active
      ? {
          active_deployment: deploymentView(app.active),
          default_ingress: url,
          live_url: url,
          live_url_base: url,
          live_domain: app.endpoint.host,
        }
      : {}),
    ...(running ? { in_progress_deployment: deploymentView(running) } : {}),
    ...(pending ? { pending_deployment: deploymentView(pending) } : {}),
    ...(app.pinned ? { pinned_deployment: deploymentView(app.pinned) } : {}),
  };
}
