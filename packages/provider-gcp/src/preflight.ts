import type { PreflightCheck, ProviderContext } from '@berth/core';
import type { GcpClients } from './gcp-clients.js';
import { locationName } from './gcp-names.js';
import { mapGcpError } from './map-gcp-error.js';
import { type RetryPolicy, withRetry } from './with-retry.js';

async function check(
  name: string,
  action: string,
  policy: RetryPolicy,
  probe: () => Promise<unknown>,
): Promise<PreflightCheck> {
  try {
    await withRetry(action, policy, probe);
    return { name, ok: true };
  } catch (error) {
    const mapped = mapGcpError(error, action);
    return { name, ok: false, message: mapped.message, hint: mapped.hint };
  }
}

/** Credentials work and each API answers for the project (a cheap read of each). */
export async function preflightChecks(
  _context: ProviderContext,
  input: { clients: GcpClients; project: string; region: string; retry: RetryPolicy },
): Promise<PreflightCheck[]> {
  const { clients, project, region, retry } = input;
  const parent = locationName(project, region);
  const credentials = await check('credentials', 'get an access token', retry, () => clients.accessToken());
  if (!credentials.ok) return [credentials];
  return [
    credentials,
    await check('api:run.googleapis.com', 'list Cloud Run services', retry, () =>
      clients.services.listServices({ parent, pageSize: 1 }, { autoPaginate: false }),
    ),
    await check('api:secretmanager.googleapis.com', 'list secrets', retry, () =>
      clients.secrets.listSecrets({ parent: `projects/${project}`, pageSize: 1 }, { autoPaginate: false }),
    ),
    await check('api:artifactregistry.googleapis.com', 'list Artifact Registry repositories', retry, () =>
      clients.registry.listRepositories({ parent, pageSize: 1 }, { autoPaginate: false }),
    ),
  ];
}
