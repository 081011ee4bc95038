import {
  type ApplyOutcome,
  type DesiredService,
  defineProvider,
  type ObservedService,
  type ProviderContext,
  ProviderError,
  type ServiceTarget,
} from '@berth/core';
import { appPlatformClient } from './app-platform-client.js';
import { type AppPlatformOptions, parseAppPlatformOptions } from './app-platform-options.js';
import { appPlatformPreflight } from './app-platform-preflight.js';
import { type AppSpecInput, buildAppSpec, imageSourceOf } from './build-app-spec.js';
import { deploymentEnd } from './deployment-end.js';
import type { App, AppDeployment, AppSpec } from './do-raw-api.js';
import { doTargetLock } from './do-target-lock.js';
import { doLedgerStore, doSecretStore } from './do-target-store.js';
import { docrHost, docrRegistry } from './docr-registry.js';
import { instanceSizeFor } from './instance-sizes.js';
import { isEqual } from './is-equal.js';
import { readApp, revisionInfoOf } from './read-app.js';
import { registryDocuments } from './registry-documents.js';
import { restoreDeployment } from './restore-deployment.js';
import { validateAppPlatformSpec } from './validate-app-platform-spec.js';

/** The specs whose `EV[…]` ciphertexts an update may resubmit: the app's, and its active deployment's. */
const liveSpecs = (app: App): AppSpec[] => [
  app.spec,
  ...(app.active_deployment?.spec ? [app.active_deployment.spec] : []),
];

/**
 * Deploy to DigitalOcean App Platform: one app per service (`${name}-${environment}`), its image
 * pushed to DigitalOcean Container Registry and deployed by digest, secrets as App Platform
 * `SECRET` envs (their `EV[…]` ciphertext resubmitted while unchanged), the ledger and generated
 * secrets in the service's DOCR repository. A deployment that fails App Platform's health checks
 * leaves the previous one serving: Berth reports it rolled back by the platform and does not
 * redeploy. Rollbacks use App Platform's rollback API (validate, pinned rollback, then commit after
 * Berth's verification, or revert). dots-wrapper is loaded on first use.
 */
export function appPlatform(input: AppPlatformOptions) {
  const options = parseAppPlatformOptions(input);
  const client = appPlatformClient(options);
  const { call } = client;
  const docr = docrRegistry(options, call);
  const docrView = { host: docr.host, registry: docr.name };
  const documents = registryDocuments({
    host: docr.host,
    credentials: (context) => docr.credentials(context),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const repository = (target: ServiceTarget) => `${options.registry.name}/${target.service}`;
  const secrets = doSecretStore({
    documents,
    repository,
    ...(options.secretsKey ? { secretsKey: options.secretsKey } : {}),
    async liveSecrets(context, target) {
      const app = await client.find(context, target);
      if (!app) return [];
      return Object.entries(readApp(app, docrView).secrets).map(([key, secret]) => ({ key, ...secret }));
    },
  });
  const restore = restoreDeployment(client);

  /** `POST /v2/apps`; `undefined` on 409: a create retried after a lost answer finds its own app. */
  async function createApp(context: ProviderContext, spec: AppSpec): Promise<App | undefined> {
    try {
      const { data } = await call(context, `create app ${spec.name} (POST /v2/apps)`, (api) =>
        // dots-wrapper's spec type lags the OpenAPI spec (its image source requires `tag`).
        api.client.app.createApp({ spec: spec as never }),
      );
      return (data as unknown as { app: App }).app;
    } catch (error) {
      if ((error as { code?: string }).code === 'PROVIDER_CONFLICT') return undefined;
      throw error;
    }
  }

  /** `PUT /v2/apps/{id}`, and the deployment it started (or one asked for). */
  async function updateApp(
    context: ProviderContext,
    app: App,
    spec: AppSpec,
  ): Promise<{ app: App; deployment: AppDeployment }> {
    // `update_all_source_versions`: App Platform otherwise refreshes only newly added sources, and
    // an unchanged spec (a repair) would make no deployment at all.
    const allSources =
      isEqual(spec, app.spec) || !isEqual(spec.services?.[0]?.image, app.spec.services?.[0]?.image);
    context.progress({ step: 'deployment', message: 'updating the app' });
    const updated = allSources
      ? await call(
          context,
          `update app ${spec.name} (PUT /v2/apps/{id}, update_all_source_versions)`,
          (api) => api.raw.updateApp(app.id, spec, true),
        )
      : (
          await call(context, `update app ${spec.name} (PUT /v2/apps/{id})`, (api) =>
            api.client.app.updateApp({ app_id: app.id, spec: spec as never }),
          )
        ).data;
    const next = (updated as unknown as { app: App }).app;
    const started = next.pending_deployment ?? next.in_progress_deployment;
    if (started) return { app: next, deployment: started };
    const { data } = await call(context, `deploy app ${spec.name} (POST /v2/apps/{id}/deployments)`, (api) =>
      api.client.app.createAppDeployment({ app_id: app.id }),
    );
    return { app: next, deployment: (data as unknown as { deployment: AppDeployment }).deployment };
  }

  async function apply(context: ProviderContext, desired: DesiredService): Promise<ApplyOutcome> {
    const image = imageSourceOf(desired.image, {
      hosts: [docr.host, docrHost],
      registry: options.registry.name,
    });
    const build = (live: App | undefined) => {
      const specInput: AppSpecInput = {
        desired,
        region: options.region,
        image,
        secretValue: (key, fingerprint) => secrets.pendingValue(desired, key, fingerprint),
      };
      return buildAppSpec(live ? { ...specInput, live: liveSpecs(live) } : specInput);
    };
    let app = await client.find(context, desired);
    let deployment: AppDeployment | undefined;
    if (!app) {
      context.progress({ step: 'deployment', message: 'creating the app' });
      const created = await createApp(context, build(undefined));
      app = created ?? (await client.find(context, desired));
      if (!app)
        throw new ProviderError(
          'PROVIDER_CONFLICT',
          `An app named ${desired.service} exists but cannot be found`,
          {
            retryable: true,
            hint: 'Run again; if it persists, the name belongs to an app this token cannot list.',
          },
        );
      client.remember(desired.service, app.id);
      if (created) deployment = created.pending_deployment ?? created.in_progress_deployment;
      else {
        context.log(
          'info',
          `adopting the app ${desired.service} (${app.id}) that an earlier attempt created`,
        );
        // The lost create already deploys this very spec: follow that deployment, make no second one.
        if (isEqual(build(app), app.spec))
          deployment = app.in_progress_deployment ?? app.pending_deployment ?? app.active_deployment;
      }
    }
    const previous = app.active_deployment;
    if (!deployment) {
      await client.unpin(context, app);
      ({ app, deployment } = await updateApp(context, app, build(app)));
    }
    secrets.forget(desired);
    return {
      revision: desired.revision,
      ...(app.live_url ? { url: app.live_url } : {}),
      data: {
        appId: app.id,
        deploymentId: deployment.id,
        ...(previous ? { previousDeploymentId: previous.id } : {}),
      },
    };
  }

  /** Follow the apply's deployment; report App Platform keeping the previous deployment truthfully. */
  async function waitReady(
    context: ProviderContext,
    target: ServiceTarget,
    outcome: ApplyOutcome,
  ): Promise<ApplyOutcome> {
    const appId = String(outcome.data?.appId ?? '');
    const deploymentId = String(outcome.data?.deploymentId ?? '');
    if (!appId || !deploymentId) return outcome;
    const deployment = await client.follow(context, appId, deploymentId);
    const end = deploymentEnd({ target, outcome, deployment, app: await client.getApp(context, appId) });
    if (end instanceof ProviderError) throw end;
    return end;
  }

  return defineProvider({
    specificationVersion: 'v1',
    name: 'do-app-platform',
    validateSpec: validateAppPlatformSpec,
    secrets: secrets.store,
    ledger: doLedgerStore({ documents, repository }),
    lock: (context, target, run) => doTargetLock({ documents, repository }, context, target, run),
    imageTarget: (context, target) => docr.imageTarget(context, target),

    desiredOptions: (_target, spec) => ({
      region: options.region,
      instanceSize: instanceSizeFor(spec.resources ?? {}) ?? 'apps-s-1vcpu-0.5gb',
    }),

    preflight: (context, _target, spec) =>
      appPlatformPreflight(context, { client, docr, options, ...(spec ? { spec } : {}) }),

    async observe(context, target): Promise<ObservedService | undefined> {
      const app = await client.find(context, target);
      return app ? { ...readApp(app, docrView), service: target.service } : undefined;
    },

    apply: (context, desired) => apply(context, desired),
    waitReady,
    restoreRevision: restore.restoreRevision,
    finishRestore: restore.finishRestore,

    async listRevisions(context, target) {
      const app = await client.find(context, target);
      if (!app) return [];
      return (await client.listDeployments(context, app.id))
        .map((deployment) => revisionInfoOf(deployment, app.active_deployment?.id, docrView))
        .filter((info) => info !== undefined);
    },

    async destroy(context, target, destroyOptions) {
      const app = await client.find(context, target);
      const removed: string[] = [];
      if (app) {
        await call(context, `delete app ${target.service} (DELETE /v2/apps/{id})`, (api) =>
          api.client.app.deleteApp({ app_id: app.id }),
        );
        client.forget(target.service);
        removed.push(`app:${target.service}`);
      }
      if (destroyOptions.deleteImages)
        context.log(
          'warn',
          `images in ${docr.host}/${repository(target)} are kept: delete them in the registry (and run its garbage collection)`,
        );
      return { removed };
    },
  });
}
