/**
 * The target kinds a config can name, and how each becomes a provider. Adding a provider package
 * (AWS App Runner, DigitalOcean App Platform…) is one entry here. Providers are imported when a
 * command needs them, so `berth --help` never loads a cloud SDK.
 */
import type { Provider } from '@berth/core';

/** One kind of deploy target. */
export interface TargetKind {
  /** The package that provides it. */
  package: string;
  /** The factory, as users would call it in code. */
  factory: string;
  /** What it deploys to. */
  description: string;
  /** The provider's documentation. */
  docs: string;
  /** Build the provider from validated, reference-resolved options. */
  create(options: Record<string, unknown>): Promise<Provider>;
}

/** Every target kind, by the name a config uses in `targets.<name>.kind`. */
export const targetKinds = {
  'local-docker': {
    package: '@berth/provider-ssh',
    factory: 'localDocker(options)',
    description: 'the Docker engine of this machine',
    docs: 'docs/providers/local-docker.md',
    create: async (options) => (await import('@berth/provider-ssh')).localDocker(options),
  },
  'ssh-host': {
    package: '@berth/provider-ssh',
    factory: 'sshHost(options)',
    description: 'a server you run, over SSH (method docker or systemd)',
    docs: 'docs/providers/ssh.md',
    create: async (options) =>
      (await import('@berth/provider-ssh')).sshHost(
        options as unknown as Parameters<typeof import('@berth/provider-ssh').sshHost>[0],
      ),
  },
  'cloud-run': {
    package: '@berth/provider-gcp',
    factory: 'cloudRun(options)',
    description: 'Google Cloud Run, with Secret Manager and Artifact Registry',
    docs: 'docs/providers/gcp.md',
    create: async (options) =>
      (await import('@berth/provider-gcp')).cloudRun(
        options as unknown as Parameters<typeof import('@berth/provider-gcp').cloudRun>[0],
      ),
  },
} satisfies Record<string, TargetKind>;

/** Kinds that are planned on the same contract; naming one gives a clear error instead of "unknown". */
export const plannedTargetKinds: Record<string, string> = {
  'app-runner': 'AWS App Runner (@berth/provider-aws)',
  'app-platform': 'DigitalOcean App Platform (@berth/provider-do)',
};

export type TargetKindName = keyof typeof targetKinds;
export const targetKindNames = Object.keys(targetKinds) as [TargetKindName, ...TargetKindName[]];
