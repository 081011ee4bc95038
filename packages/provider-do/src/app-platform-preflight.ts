import type { PreflightCheck, ProviderContext, ServiceSpec } from '@berth/core';
import type { AppPlatformClient } from './app-platform-client.js';
import type { ResolvedAppPlatformOptions } from './app-platform-options.js';
import type { DocrRegistry } from './docr-registry.js';
import { mapDoError } from './map-do-error.js';

interface Account {
  email?: string;
  status?: string;
  status_message?: string;
}

/**
 * The token is valid and its account active (`GET /v2/account`), the registry exists (or is
 * created), the region is App Platform's, and generated secrets have their key. Each failure with
 * the next step.
 */
export async function appPlatformPreflight(
  context: ProviderContext,
  input: {
    client: AppPlatformClient;
    docr: DocrRegistry;
    options: ResolvedAppPlatformOptions;
    spec?: ServiceSpec;
  },
): Promise<PreflightCheck[]> {
  const { client, docr, options, spec } = input;
  let token: PreflightCheck;
  try {
    const { data } = await client.call(context, 'read the account (GET /v2/account)', (api) =>
      api.client.account.getAccount(),
    );
    const account = (data as unknown as { account?: Account }).account;
    token =
      account?.status && account.status !== 'active'
        ? {
            name: 'token',
            ok: false,
            message: `the account is ${account.status}${account.status_message ? `: ${account.status_message}` : ''}`,
            hint: 'Resolve the account status in the DigitalOcean control panel.',
          }
        : { name: 'token', ok: true, message: account?.email ?? 'valid' };
  } catch (error) {
    const mapped = mapDoError(error, 'read the account');
    token = { name: 'token', ok: false, message: mapped.message, hint: mapped.hint };
  }
  if (!token.ok) return [token];
  const checks: PreflightCheck[] = [
    token,
    await docr.check(context),
    { name: 'region', ok: true, message: options.region },
  ];
  const generated = Object.entries(spec?.secrets ?? {}).filter(([, source]) => 'generate' in source);
  if (generated.length > 0 && !options.secretsKey)
    checks.push({
      name: 'secrets-key',
      ok: false,
      message: `generated secrets (${generated.map(([key]) => key).join(', ')}) need appPlatform({ secretsKey })`,
      hint: 'Set secretsKey to 32 random bytes, base64 (`openssl rand -base64 32`), kept as a CI secret; see docs/providers/do.md#secrets.',
    });
  return checks;
}
