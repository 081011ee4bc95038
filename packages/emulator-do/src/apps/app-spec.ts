/** An environment variable of a component, as the OpenAPI spec's `app_variable_definition`. */
export interface AppVariableDefinition {
  key: string;
  scope?: 'UNSET' | 'RUN_TIME' | 'BUILD_TIME' | 'RUN_AND_BUILD_TIME';
  type?: 'GENERAL' | 'SECRET';
  value?: string;
}

/** `apps_image_source_spec`: an image from DOCR, Docker Hub or GHCR, by `tag` or by `digest`. */
export interface AppImageSource {
  registry?: string;
  registry_type?: 'DOCKER_HUB' | 'DOCR' | 'GHCR';
  registry_credentials?: string;
  repository?: string;
  tag?: string;
  digest?: string;
  deploy_on_push?: { enabled?: boolean };
}

/** `app_service_spec_health_check`. */
export interface AppHealthCheck {
  failure_threshold?: number;
  port?: number;
  http_path?: string;
  initial_delay_seconds?: number;
  period_seconds?: number;
  success_threshold?: number;
  timeout_seconds?: number;
}

/** `app_service_spec` (the members the emulator acts on; others are kept as sent). */
export interface AppServiceSpec {
  name: string;
  image?: AppImageSource;
  run_command?: string;
  envs?: AppVariableDefinition[];
  instance_count?: number;
  instance_size_slug?: string;
  http_port?: number;
  health_check?: AppHealthCheck;
  [member: string]: unknown;
}

/** `app_spec` (the members the emulator acts on; others are kept as sent). */
export interface AppSpec {
  name: string;
  region?: string;
  services?: AppServiceSpec[];
  envs?: AppVariableDefinition[];
  [member: string]: unknown;
}

/** `app_spec.region`'s enum. */
export const appRegions = ['atl', 'nyc', 'sfo', 'tor', 'ams', 'fra', 'lon', 'blr', 'sgp', 'syd'] as const;

/** `instance_size_slug`'s enums (current, then deprecated), with the size each one runs at. */
export const instanceSizes: Record<string, { memoryBytes: number; nanoCpus: number }> = {
  'apps-s-1vcpu-0.5gb': { memoryBytes: 512 * 2 ** 20, nanoCpus: 1e9 },
  'apps-s-1vcpu-1gb-fixed': { memoryBytes: 2 ** 30, nanoCpus: 1e9 },
  'apps-s-1vcpu-1gb': { memoryBytes: 2 ** 30, nanoCpus: 1e9 },
  'apps-s-1vcpu-2gb': { memoryBytes: 2 * 2 ** 30, nanoCpus: 1e9 },
  'apps-s-2vcpu-4gb': { memoryBytes: 4 * 2 ** 30, nanoCpus: 2e9 },
  'apps-d-1vcpu-0.5gb': { memoryBytes: 512 * 2 ** 20, nanoCpus: 1e9 },
  'apps-d-1vcpu-1gb': { memoryBytes: 2 ** 30, nanoCpus: 1e9 },
  'apps-d-1vcpu-2gb': { memoryBytes: 2 * 2 ** 30, nanoCpus: 1e9 },
  'apps-d-1vcpu-4gb': { memoryBytes: 4 * 2 ** 30, nanoCpus: 1e9 },
  'apps-d-2vcpu-4gb': { memoryBytes: 4 * 2 ** 30, nanoCpus: 2e9 },
  'apps-d-2vcpu-8gb': { memoryBytes: 8 * 2 ** 30, nanoCpus: 2e9 },
  'apps-d-4vcpu-8gb': { memoryBytes: 8 * 2 ** 30, nanoCpus: 4e9 },
  'apps-d-4vcpu-16gb': { memoryBytes: 16 * 2 ** 30, nanoCpus: 4e9 },
  'apps-d-8vcpu-32gb': { memoryBytes: 32 * 2 ** 30, nanoCpus: 8e9 },
  'basic-xxs': { memoryBytes: 512 * 2 ** 20, nanoCpus: 1e9 },
  'basic-xs': { memoryBytes: 2 ** 30, nanoCpus: 1e9 },
  'basic-s': { memoryBytes: 2 * 2 ** 30, nanoCpus: 1e9 },
  'basic-m': { memoryBytes: 4 * 2 ** 30, nanoCpus: 2e9 },
  'professional-xs': { memoryBytes: 2 ** 30, nanoCpus: 1e9 },
  'professional-s': { memoryBytes: 2 * 2 ** 30, nanoCpus: 1e9 },
  'professional-m': { memoryBytes: 4 * 2 ** 30, nanoCpus: 2e9 },
  'professional-1l': { memoryBytes: 4 * 2 ** 30, nanoCpus: 1e9 },
  'professional-l': { memoryBytes: 8 * 2 ** 30, nanoCpus: 2e9 },
  'professional-xl': { memoryBytes: 16 * 2 ** 30, nanoCpus: 4e9 },
};

/** The default size when `instance_size_slug` is not set. */
export const defaultInstanceSize = 'apps-s-1vcpu-0.5gb';

/** Health-check defaults App Platform applies to a service that sets none. */
export const healthCheckDefaults = {
  initial_delay_seconds: 0,
  period_seconds: 10,
  timeout_seconds: 1,
  success_threshold: 1,
  failure_threshold: 9,
} as const;
