import { createRequire } from 'node:module';
import type { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import type { RevisionsClient, ServicesClient } from '@google-cloud/run';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { AuthClient, GoogleAuth } from 'google-auth-library';
import type { ResolvedCloudRunOptions } from './cloud-run-options.js';

// The SDKs (with google-gax, gRPC and protobufjs) take a few hundred ms to load: they are loaded when
// the provider first needs a client, not when the package is imported. Synchronously, so that
// `createGcpClients` keeps its signature; they are CommonJS packages, so `require` is the natural load.
const requireFromHere = createRequire(import.meta.url);
function loadSdks() {
  return {
    ...(requireFromHere(
      '@google-cloud/artifact-registry',
    ) as typeof import('@google-cloud/artifact-registry')),
    ...(requireFromHere('@google-cloud/run') as typeof import('@google-cloud/run')),
    ...(requireFromHere('@google-cloud/secret-manager') as typeof import('@google-cloud/secret-manager')),
    GoogleAuth: (requireFromHere('google-auth-library') as typeof import('google-auth-library')).GoogleAuth,
  };
}

/** The SDK clients the provider calls: created in this one module. */
export interface GcpClients {
  services: ServicesClient;
  revisions: RevisionsClient;
  secrets: SecretManagerServiceClient;
  registry: ArtifactRegistryClient;
  /** An OAuth access token for registry logins (`oauth2accesstoken`). */
  accessToken(): Promise<string>;
  close(): Promise<void>;
}

const scopes = ['https://www.googleapis.com/auth/cloud-platform'];

/** Create (or take injected) clients for Cloud Run v2, Secret Manager and Artifact Registry. */
export function createGcpClients(options: ResolvedCloudRunOptions): GcpClients {
  const injected = options.clients ?? {};
  const { ArtifactRegistryClient, RevisionsClient, SecretManagerServiceClient, ServicesClient, GoogleAuth } =
    loadSdks();
  const auth: AuthClient | GoogleAuth = options.authClient ?? new GoogleAuth({ scopes });
  const endpoint = options.endpoint;
  const settings = {
    ...(options.authClient ? { authClient: options.authClient } : { auth: auth as GoogleAuth }),
    ...(endpoint || options.transport === 'rest' ? { fallback: true as const } : {}),
    ...(endpoint
      ? {
          apiEndpoint: endpoint.apiEndpoint,
          protocol: endpoint.protocol,
          ...(endpoint.port ? { port: endpoint.port } : {}),
        }
      : {}),
  };
  const services = injected.services ?? new ServicesClient(settings);
  const revisions = injected.revisions ?? new RevisionsClient(settings);
  const secrets = injected.secrets ?? new SecretManagerServiceClient(settings);
  const registry = injected.registry ?? new ArtifactRegistryClient(settings);
  return {
    services,
    revisions,
    secrets,
    registry,
    accessToken:
      injected.accessToken ??
      (async () => {
        const client = auth instanceof GoogleAuth ? await auth.getClient() : auth;
        const { token } = await client.getAccessToken();
        if (!token) throw new Error('The credentials returned no access token');
        return token;
      }),
    async close() {
      await Promise.all(
        [services.close(), revisions.close(), secrets.close(), registry.close()].map((closing) =>
          closing.catch(() => undefined),
        ),
      );
    },
  };
}
