import { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import { RevisionsClient, ServicesClient } from '@google-cloud/run';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { type AuthClient, GoogleAuth } from 'google-auth-library';
import type { ResolvedCloudRunOptions } from './cloud-run-options.js';

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
