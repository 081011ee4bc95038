/**
 * The calls dots-wrapper 3.12 lacks or cannot send, on the axios instance it builds. Types are from
 * DigitalOcean's OpenAPI specification (`digitalocean/openapi`, `specification/resources/apps/` and
 * `registry/`), limited to the members Berth reads or sends.
 */
import type { DotsHttpClient } from './do-api.js';

/** `apps_variable_definition`. */
export interface AppVariableDefinition {
  key: string;
  value?: string;
  scope?: 'UNSET' | 'RUN_TIME' | 'BUILD_TIME' | 'RUN_AND_BUILD_TIME';
  type?: 'GENERAL' | 'SECRET';
}

/** `apps_image_source_spec` (by digest: `tag` and `digest` are exclusive). */
export interface AppImageSourceSpec {
  registry_type: 'DOCR' | 'DOCKER_HUB' | 'GHCR';
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** `app_service_spec_health_check`. */
export interface AppHealthCheckSpec {
  http_path?: string;
  port?: number;
  initial_delay_seconds?: number;
  period_seconds?: number;
  timeout_seconds?: number;
  success_threshold?: number;
  failure_threshold?: number;
}

/** `app_service_spec`. */
export interface AppServiceSpec {
  name: string;
  image?: AppImageSourceSpec;
  http_port?: number;
  instance_size_slug?: string;
  instance_count?: number;
  health_check?: AppHealthCheckSpec;
  envs?: AppVariableDefinition[];
  [member: string]: unknown;
}

/** `app_spec`. */
export interface AppSpec {
  name: string;
  region?: string;
  services?: AppServiceSpec[];
  envs?: AppVariableDefinition[];
  [member: string]: unknown;
}

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

/** `apps_deployment_progress_step`. */
export interface DeploymentProgressStep {
  name?: string;
  status?: 'UNKNOWN' | 'PENDING' | 'RUNNING' | 'ERROR' | 'SUCCESS';
  component_name?: string;
  message_base?: string;
  reason?: { code?: string; message?: string };
  steps?: DeploymentProgressStep[];
}

/** `apps_deployment`. */
export interface AppDeployment {
  id: string;
  spec?: AppSpec;
  phase?: DeploymentPhase;
  cause?: string;
  cloned_from?: string;
  created_at?: string;
  updated_at?: string;
  progress?: {
    success_steps?: number;
    total_steps?: number;
    error_steps?: number;
    steps?: DeploymentProgressStep[];
    summary_steps?: DeploymentProgressStep[];
  };
}

/** `app`. */
export interface App {
  id: string;
  spec: AppSpec;
  live_url?: string;
  default_ingress?: string;
  created_at?: string;
  updated_at?: string;
  active_deployment?: AppDeployment;
  in_progress_deployment?: AppDeployment;
  pending_deployment?: AppDeployment;
  pinned_deployment?: AppDeployment;
}

/** `app_rollback_validation_condition`. */
export interface RollbackValidationCondition {
  code?:
    | 'incompatible_phase'
    | 'incompatible_result'
    | 'exceeded_revision_limit'
    | 'app_pinned'
    | 'database_config_conflict'
    | 'region_conflict'
    | 'static_site_requires_rebuild'
    | 'image_source_missing_digest';
  message?: string;
  components?: string[];
}

/** Answer of `POST /v2/apps/{app_id}/rollback/validate`. */
export interface RollbackValidation {
  valid?: boolean;
  error?: RollbackValidationCondition;
  warnings?: RollbackValidationCondition[];
}

/** `registry_create`: `subscription_tier_slug` is required (dots-wrapper sends only `name`). */
export interface RegistryCreate {
  name: string;
  subscription_tier_slug: 'starter' | 'basic' | 'professional';
  region?: string;
}

/** The raw calls, each one request. */
export interface DoRawApi {
  /** `PUT /v2/apps/{id}` with `update_all_source_versions` (dots-wrapper sends `spec` only). */
  updateApp(appId: string, spec: AppSpec, updateAllSourceVersions: boolean): Promise<{ app: App }>;
  /** `POST /v2/apps/{app_id}/rollback/validate`. */
  validateRollback(appId: string, deploymentId: string): Promise<RollbackValidation>;
  /** `POST /v2/apps/{app_id}/rollback`: a new deployment cloned from `deploymentId`; pinned unless `skipPin`. */
  rollback(appId: string, deploymentId: string, skipPin: boolean): Promise<{ deployment: AppDeployment }>;
  /** `POST /v2/apps/{app_id}/rollback/commit`: keep the rolled-back spec and unpin. */
  commitRollback(appId: string): Promise<void>;
  /** `POST /v2/apps/{app_id}/rollback/revert`: unpin and deploy the spec from before the rollback. */
  revertRollback(appId: string): Promise<{ deployment: AppDeployment }>;
  /** `POST /v2/registry` with the subscription tier. */
  createRegistry(request: RegistryCreate): Promise<void>;
}

/** The raw calls on dots-wrapper's axios instance (its base URL already ends with `/v2`). */
export function doRawApi(http: DotsHttpClient): DoRawApi {
  const post = async <T>(path: string, body?: unknown): Promise<T> =>
    (await http.post<T>(path, body ?? {})).data;
  return {
    updateApp: async (appId, spec, updateAllSourceVersions) =>
      (
        await http.put<{ app: App }>(`/apps/${encodeURIComponent(appId)}`, {
          spec,
          update_all_source_versions: updateAllSourceVersions,
        })
      ).data,
    validateRollback: (appId, deploymentId) =>
      post(`/apps/${encodeURIComponent(appId)}/rollback/validate`, { deployment_id: deploymentId }),
    rollback: (appId, deploymentId, skipPin) =>
      post(`/apps/${encodeURIComponent(appId)}/rollback`, { deployment_id: deploymentId, skip_pin: skipPin }),
    commitRollback: async (appId) => {
      await post(`/apps/${encodeURIComponent(appId)}/rollback/commit`);
    },
    revertRollback: (appId) => post(`/apps/${encodeURIComponent(appId)}/rollback/revert`),
    createRegistry: async (request) => {
      await post('/registry', request);
    },
  };
}
