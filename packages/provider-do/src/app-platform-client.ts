import type { ProviderContext, ServiceTarget } from '@berth/core';
import type { ResolvedAppPlatformOptions } from './app-platform-options.js';
import { createDoApi, type DoApi } from './do-api.js';
import type { App, AppDeployment } from './do-raw-api.js';
import { followDeployment } from './follow-deployment.js';
import { withRetry } from './with-retry.js';

/**
 * The one place the provider's API calls are made: dots-wrapper (or the raw calls) created on
 * first use, every call retried and mapped, the token registered for redaction, apps found by name.
 */
export function appPlatformClient(options: ResolvedAppPlatformOptions) {
  let api: Promise<DoApi> | undefined;
  const sdk = () => {
    api ??= options.api
      ? Promise.resolve(options.api)
      : createDoApi({
          token: options.token,
          endpoint: options.endpoint,
          requestTimeoutMs: options.requestTimeoutMs,
        });
    return api;
  };
  const appIds = new Map<string, string>();

  /** One API call, retried as `options.retry` says, its error mapped to a `BerthError` naming `action`. */
  const call = async <T>(context: ProviderContext, action: string, operation: (api: DoApi) => Promise<T>) => {
    context.redact?.(options.token);
    const client = await sdk();
    return withRetry(action, { ...options.retry, clock: context.clock, signal: context.signal }, () =>
      operation(client),
    );
  };

  async function getApp(context: ProviderContext, appId: string): Promise<App | undefined> {
    try {
      const { data } = await call(context, `get app ${appId} (GET /v2/apps/{id})`, (client) =>
        client.client.app.getApp({ app_id: appId }),
      );
      return (data as unknown as { app: App }).app;
    } catch (error) {
      if ((error as { code?: string }).code === 'PROVIDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** The app of a service, by name (App Platform addresses apps by id); `undefined` when absent. */
  async function find(context: ProviderContext, target: ServiceTarget): Promise<App | undefined> {
    const cached = appIds.get(target.service);
    if (cached) {
      const app = await getApp(context, cached);
      if (app) return app;
      appIds.delete(target.service);
    }
    for (let page = 1; ; page += 1) {
      const { data } = await call(context, 'list apps (GET /v2/apps)', (client) =>
        client.client.app.listApps({ page, per_page: 100 }),
      );
      const list = data as unknown as { apps?: App[]; links?: { pages?: { next?: string } } };
      const app = list.apps?.find((candidate) => candidate.spec?.name === target.service);
      if (app) {
        appIds.set(target.service, app.id);
        return app;
      }
      if (!list.links?.pages?.next || !list.apps?.length) return undefined;
    }
  }

  /** Poll a deployment to its end, with progress events. */
  const follow = (context: ProviderContext, appId: string, deploymentId: string) =>
    followDeployment(
      context,
      async () => {
        const { data } = await call(
          context,
          `get deployment ${deploymentId} (GET /v2/apps/{app_id}/deployments/{id})`,
          (client) => client.client.app.getAppDeployment({ app_id: appId, deployment_id: deploymentId }),
        );
        return (data as unknown as { deployment: AppDeployment }).deployment;
      },
      { pollIntervalMs: options.pollIntervalMs, timeoutMs: options.deploymentTimeoutMs },
    );

  /** The app's newest deployments (App Platform rolls back to its last 10). */
  async function listDeployments(context: ProviderContext, appId: string): Promise<AppDeployment[]> {
    const { data } = await call(context, 'list deployments (GET /v2/apps/{id}/deployments)', (client) =>
      client.client.app.listAppDeployments({ app_id: appId, page: 1, per_page: 20 }),
    );
    return (data as unknown as { deployments?: AppDeployment[] }).deployments ?? [];
  }

  /** Unpin an app a rollback left pinned (its run ended before commit or revert): keep what serves. */
  async function unpin(context: ProviderContext, app: App): Promise<void> {
    if (!app.pinned_deployment) return;
    context.log('warn', `${app.spec.name} was pinned by an unfinished rollback; committing it first`, {
      deploymentId: app.pinned_deployment.id,
    });
    await call(context, 'commit rollback (POST /v2/apps/{id}/rollback/commit)', (client) =>
      client.raw.commitRollback(app.id),
    );
  }

  return {
    call,
    getApp,
    find,
    follow,
    listDeployments,
    unpin,
    remember: (service: string, appId: string) => appIds.set(service, appId),
    forget: (service: string) => appIds.delete(service),
  };
}

/** The provider's API client. */
export type AppPlatformClient = ReturnType<typeof appPlatformClient>;
