import {
  type ApplyOutcome,
  type DesiredService,
  defineProvider,
  type ObservedService,
  type PreflightCheck,
  type ProviderContext,
  ProviderError,
  type RevisionRecord,
  type ServiceSpec,
  type ServiceTarget,
  ValidationError,
} from '@berth/core';
import {
  type AppPlatformOptions,
  appPlatformOptionsSchema,
  type ResolvedAppPlatformOptions,
} from './app-platform-options.js';
import { buildAppSpec, imageSourceOf } from './build-app-spec.js';
import { createDoApi, type DoApi } from './do-api.js';
import type { App, AppDeployment } from './do-raw-api.js';
import { doLedgerStore, doSecretStore } from './do-target-store.js';
import { docrHost, docrRegistry } from './docr-registry.js';
import { followDeployment, stepsOf } from './follow-deployment.js';
import { instanceSizeFor } from './instance-sizes.js';
import { isEqual } from './is-equal.js';
import { mapDoError, statusOf } from './map-do-error.js';
import { readApp, revisionInfoOf, revisionOfSpec } from './read-app.js';
import { registryDocuments } from './registry-documents.js';
import { validateAppPlatformSpec } from './validate-app-platform-spec.js';
import { withRetry } from './with-retry.js';

/** Validate the options; a bad option is a `ValidationError` before any I/O. */
function parseOptions(input: AppPlatformOptions): ResolvedAppPlatformOptions {
  const { api, fetch, ...rest } = input;
  const parsed = appPlatformOptionsSchema.safeParse(rest);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({
        path: `appPlatform.${issue.path.join('.')}`,
        message: issue.message,
        hint: 'Fix this option of appPlatform(); see docs/providers/do.md.',
      })),
    );
  return { ...parsed.data, ...(api ? { api } : {}), ...(fetch ? { fetch } : {}) };
}

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
  const options = parseOptions(input);
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
  const call = async <T>(context: ProviderContext, action: string, operation: (api: DoApi) => Promise<T>) => {
    context.redact?.(options.token);
    const client = await sdk();
    return withRetry(action, { ...options.retry, clock: context.clock, signal: context.signal }, () =>
      operation(client),
    );
  };
  const docr = docrRegistry(options, call);
  const docrView = { host: docr.host, registry: docr.name };
  const appIds = new Map<string, string>();
  const documents = registryDocuments({
    host: docr.host,
    credentials: (context) => docr.credentials(context),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const repository = (target: ServiceTarget) => `${options.registry.name}/${target.service}`;

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

  const getDeployment = (context: ProviderContext, appId: string, deploymentId: string) => async () => {
    const { data } = await call(
      context,
      `get deployment ${deploymentId} (GET /v2/apps/{app_id}/deployments/{id})`,
      (client) => client.client.app.getAppDeployment({ app_id: appId, deployment_id: deploymentId }),
    );
    return (data as unknown as { deployment: AppDeployment }).deployment;
  };

  const follow = (context: ProviderContext, appId: string, deploymentId: string) =>
    followDeployment(context, getDeployment(context, appId, deploymentId), {
      pollIntervalMs: options.pollIntervalMs,
      timeoutMs: options.deploymentTimeoutMs,
    });

  async function liveSecrets(context: ProviderContext, target: ServiceTarget) {
    const app = await find(context, target);
    if (!app) return [];
    return Object.entries(readApp(app, docrView).secrets).map(([key, secret]) => ({ key, ...secret }));
  }
  const secrets = doSecretStore({
    documents,
    repository,
    liveSecrets,
    ...(options.secretsKey ? { secretsKey: options.secretsKey } : {}),
  });
  const ledger = doLedgerStore({ documents, repository });

  /** Unpin an app a rollback left pinned (its run ended before commit or revert): keep what serves. */
  async function unpin(context: ProviderContext, app: App): Promise<void> {
    if (!app.pinned_deployment) return;
    context.log(
      'warn',
      `${app.spec.name} was pinned by an unfinished rollback; committing it before the update`,
      {
        deploymentId: app.pinned_deployment.id,
      },
    );
    await call(context, 'commit rollback (POST /v2/apps/{id}/rollback/commit)', (client) =>
      client.raw.commitRollback(app.id),
    );
  }

  async function createApp(
    context: ProviderContext,
    spec: ReturnType<typeof buildAppSpec>,
  ): Promise<App | undefined> {
    try {
      const { data } = await call(context, `create app ${spec.name} (POST /v2/apps)`, (client) =>
        // dots-wrapper's spec type lags the OpenAPI spec (IImageSource requires `tag`).
        client.client.app.createApp({ spec: spec as never }),
      );
      return (data as unknown as { app: App }).app;
    } catch (error) {
      // A create retried after a timeout finds the app its first attempt made: adopt it.
      if ((error as { code?: string }).code === 'PROVIDER_CONFLICT') return undefined;
      throw error;
    }
  }

  async function apply(context: ProviderContext, desired: DesiredService): Promise<ApplyOutcome> {
    const image = imageSourceOf(desired.image, {
      hosts: [docr.host, docrHost],
      registry: options.registry.name,
    });
    let app = await find(context, desired);
    const build = (live: App | undefined) =>
      buildAppSpec({
        desired,
        region: options.region,
        image,
        ...(live
          ? { live: [live.spec, ...(live.active_deployment?.spec ? [live.active_deployment.spec] : [])] }
          : {}),
        secretValue: (key, fingerprint) => secrets.pendingValue(desired, key, fingerprint),
      });
    let deployment: AppDeployment | undefined;
    if (!app) {
      context.progress({ step: 'deployment', message: 'creating the app' });
      const created = await createApp(context, build(undefined));
      if (created) {
        app = created;
        deployment = created.pending_deployment ?? created.in_progress_deployment;
      } else {
        app = await find(context, desired);
        if (!app)
          throw new ProviderError(
            'PROVIDER_CONFLICT',
            `An app named ${desired.service} exists but cannot be found`,
            {
              retryable: true,
              hint: 'Run again; if it persists, the name belongs to an app this token cannot list.',
            },
          );
        context.log(
          'info',
          `adopting the app ${desired.service} (${app.id}) that an earlier attempt created`,
        );
        // The lost create already deployed this very spec: follow that deployment, make no second one.
        if (isEqual(build(app), app.spec))
          deployment = app.in_progress_deployment ?? app.pending_deployment ?? app.active_deployment;
      }
      appIds.set(desired.service, app.id);
    }
    const previous = app.active_deployment;
    if (!deployment) {
      await unpin(context, app);
      const spec = build(app);
      // `update_all_source_versions`: App Platform otherwise refreshes only newly added sources, and
      // an unchanged spec (a repair) would make no deployment at all.
      const unchanged = isEqual(spec, app.spec);
      const allSources = unchanged || !isEqual(spec.services?.[0]?.image, app.spec.services?.[0]?.image);
      context.progress({ step: 'deployment', message: 'updating the app' });
      const appId = app.id;
      const updated = allSources
        ? await call(
            context,
            `update app ${desired.service} (PUT /v2/apps/{id}, update_all_source_versions)`,
            (client) => client.raw.updateApp(appId, spec, true),
          )
        : (
            await call(context, `update app ${desired.service} (PUT /v2/apps/{id})`, (client) =>
              client.client.app.updateApp({ app_id: appId, spec: spec as never }),
            )
          ).data;
      app = (updated as unknown as { app: App }).app;
      deployment = app.pending_deployment ?? app.in_progress_deployment;
      if (!deployment) {
        const { data } = await call(
          context,
          `deploy app ${desired.service} (POST /v2/apps/{id}/deployments)`,
          (client) => client.client.app.createAppDeployment({ app_id: appId }),
        );
        deployment = (data as unknown as { deployment: AppDeployment }).deployment;
      }
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
    const deployment = await follow(context, appId, deploymentId);
    const phase = deployment.phase ?? 'UNKNOWN';
    const app = await getApp(context, appId);
    if (phase === 'ACTIVE') return { ...outcome, ...(app?.live_url ? { url: app.live_url } : {}) };
    const details = { appId, deploymentId, phase };
    if (phase !== 'ERROR' && phase !== 'CANCELED' && phase !== 'SUPERSEDED')
      throw new ProviderError(
        'DEPLOY_TIMEOUT',
        `Deployment ${deploymentId} of ${target.service} is still ${phase}`,
        {
          hint: 'Raise `deploymentTimeoutMs`, or wait for it and run again.',
          details,
        },
      );
    const failure = stepsOf(deployment).failure;
    const serving = app?.active_deployment;
    const servingRevision = revisionOfSpec(serving?.spec);
    const why = failure
      ? ` at ${failure.step}${failure.code ? ` (${failure.code}${failure.message ? `: ${failure.message}` : ''})` : ''}`
      : '';
    const code =
      phase === 'ERROR' && failure?.code !== 'DeployImagePullFailed'
        ? 'HEALTH_CHECK_FAILED'
        : 'DEPLOY_FAILED';
    const hint =
      failure?.code === 'DeployImagePullFailed'
        ? 'App Platform could not pull the image: check that it is in the registry and that the app may read it.'
        : phase === 'ERROR'
          ? "The new deployment failed App Platform's health check or exited: read its logs (GET /v2/apps/{id}/deployments/{id}/logs or the control panel)."
          : 'Another deployment replaced or canceled this one: run again when it has ended.';
    const platform =
      servingRevision && serving?.id !== deploymentId && servingRevision !== outcome.revision
        ? { platform: { kind: 'restored', revision: servingRevision, from: outcome.revision } }
        : {};
    throw new ProviderError(
      code,
      `Deployment ${deploymentId} of ${target.service} ended ${phase}${why}${
        servingRevision ? `; App Platform kept revision ${servingRevision} serving` : ''
      }`,
      {
        hint,
        details: { ...details, ...(failure?.code ? { reason: failure.code } : {}), ...platform },
      },
    );
  }

  /** The deployment that ran `revision` successfully (the recorded one first), newest first. */
  async function deploymentOf(
    context: ProviderContext,
    app: App,
    record: RevisionRecord,
  ): Promise<AppDeployment | undefined> {
    const recorded = typeof record.data?.deploymentId === 'string' ? record.data.deploymentId : undefined;
    const { data } = await call(context, 'list deployments (GET /v2/apps/{id}/deployments)', (client) =>
      client.client.app.listAppDeployments({ app_id: app.id, page: 1, per_page: 20 }),
    );
    const candidates = ((data as unknown as { deployments?: AppDeployment[] }).deployments ?? []).filter(
      (deployment) =>
        revisionOfSpec(deployment.spec) === record.revision &&
        (deployment.phase === 'ACTIVE' || deployment.phase === 'SUPERSEDED'),
    );
    return candidates.find((deployment) => deployment.id === recorded) ?? candidates[0];
  }

  /** Serve an earlier revision with App Platform's rollback API: validate, then a pinned rollback, followed to the end. */
  async function restoreRevision(
    context: ProviderContext,
    target: ServiceTarget,
    record: RevisionRecord,
  ): Promise<ApplyOutcome> {
    const app = await find(context, target);
    if (!app)
      throw new ProviderError('REVISION_NOT_FOUND', `${target.service} has no app to roll back`, {
        hint: 'Run `up` to deploy it again.',
      });
    const active = app.active_deployment;
    if (active && revisionOfSpec(active.spec) === record.revision) {
      // Still serving (App Platform kept it): stop what is deploying, nothing to roll back.
      const running = app.in_progress_deployment;
      if (running)
        await call(context, 'cancel deployment (POST /v2/apps/{app_id}/deployments/{id}/cancel)', (client) =>
          client.client.app.cancelAppDeployment({ app_id: app.id, deployment_id: running.id }),
        ).catch((error: unknown) => {
          if (statusOf(error) !== 400) throw error;
        });
      return {
        revision: record.revision,
        ...(app.live_url ? { url: app.live_url } : {}),
        data: { appId: app.id, deploymentId: active.id },
      };
    }
    const source = await deploymentOf(context, app, record);
    if (!source)
      throw new ProviderError(
        'REVISION_NOT_FOUND',
        `App Platform has no successful deployment of revision ${record.revision} of ${target.service}`,
        {
          hint: 'App Platform rolls back to its last 10 deployments only: deploy that version again with `up`.',
        },
      );
    await unpin(context, app);
    const validation = await call(
      context,
      'validate rollback (POST /v2/apps/{id}/rollback/validate)',
      (client) => client.raw.validateRollback(app.id, source.id),
    );
    for (const warning of validation.warnings ?? [])
      context.log('warn', `rollback of ${target.service}: ${warning.code}: ${warning.message ?? ''}`);
    if (!validation.valid)
      throw new ProviderError(
        'ROLLBACK_FAILED',
        `App Platform refuses to roll ${target.service} back to deployment ${source.id}: ${validation.error?.code ?? 'invalid'}${
          validation.error?.message ? ` (${validation.error.message})` : ''
        }`,
        {
          hint: 'Deploy that version again with `up` instead.',
          details: { appId: app.id, deploymentId: source.id, condition: validation.error?.code ?? '' },
        },
      );
    context.progress({ step: 'deployment', message: `rolling back to deployment ${source.id}` });
    const { deployment } = await call(context, 'roll back (POST /v2/apps/{id}/rollback)', (client) =>
      client.raw.rollback(app.id, source.id, false),
    );
    const finished = await follow(context, app.id, deployment.id);
    if (finished.phase !== 'ACTIVE') {
      await finishRestore(
        context,
        target,
        { revision: record.revision, data: { appId: app.id, pinned: true } },
        'revert',
      ).catch(() => undefined);
      throw new ProviderError(
        'ROLLBACK_FAILED',
        `The rollback deployment ${deployment.id} of ${target.service} ended ${finished.phase}`,
        {
          hint: "Read the deployment's logs; the rollback was reverted.",
          details: { appId: app.id, deploymentId: deployment.id, phase: finished.phase ?? 'UNKNOWN' },
        },
      );
    }
    const after = await getApp(context, app.id);
    return {
      revision: record.revision,
      ...(after?.live_url ? { url: after.live_url } : {}),
      data: { appId: app.id, deploymentId: deployment.id, rolledBackTo: source.id, pinned: true },
    };
  }

  /** After Berth verified the rolled-back deployment: commit (unpin, keep it) or revert. */
  async function finishRestore(
    context: ProviderContext,
    _target: ServiceTarget,
    restored: ApplyOutcome,
    verdict: 'commit' | 'revert',
  ): Promise<void> {
    const appId = typeof restored.data?.appId === 'string' ? restored.data.appId : undefined;
    if (!appId || restored.data?.pinned !== true) return;
    if (verdict === 'commit') {
      await call(context, 'commit rollback (POST /v2/apps/{id}/rollback/commit)', (client) =>
        client.raw.commitRollback(appId),
      );
      return;
    }
    const { deployment } = await call(
      context,
      'revert rollback (POST /v2/apps/{id}/rollback/revert)',
      (client) => client.raw.revertRollback(appId),
    );
    await follow(context, appId, deployment.id);
  }

  async function preflight(
    context: ProviderContext,
    _target: ServiceTarget,
    spec?: ServiceSpec,
  ): Promise<PreflightCheck[]> {
    let token: PreflightCheck;
    try {
      const { data } = await call(context, 'read the account (GET /v2/account)', (client) =>
        client.client.account.getAccount(),
      );
      const account = (
        data as unknown as { account?: { email?: string; status?: string; status_message?: string } }
      ).account;
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

  return defineProvider({
    specificationVersion: 'v1',
    name: 'do-app-platform',
    validateSpec: validateAppPlatformSpec,
    secrets: secrets.store,
    ledger,
    imageTarget: (context, target) => docr.imageTarget(context, target),

    desiredOptions: (_target, spec) => ({
      region: options.region,
      instanceSize: instanceSizeFor(spec.resources ?? {}) ?? 'apps-s-1vcpu-0.5gb',
    }),

    preflight,

    async observe(context, target): Promise<ObservedService | undefined> {
      const app = await find(context, target);
      return app ? { ...readApp(app, docrView), service: target.service } : undefined;
    },

    apply: (context, desired) => apply(context, desired),
    waitReady,
    restoreRevision,
    finishRestore,

    async listRevisions(context, target) {
      const app = await find(context, target);
      if (!app) return [];
      const { data } = await call(context, 'list deployments (GET /v2/apps/{id}/deployments)', (client) =>
        client.client.app.listAppDeployments({ app_id: app.id, page: 1, per_page: 20 }),
      );
      return ((data as unknown as { deployments?: AppDeployment[] }).deployments ?? [])
        .map((deployment) => revisionInfoOf(deployment, app.active_deployment?.id, docrView))
        .filter((info) => info !== undefined);
    },

    async destroy(context, target, destroyOptions) {
      const app = await find(context, target);
      const removed: string[] = [];
      if (app) {
        await call(context, `delete app ${target.service} (DELETE /v2/apps/{id})`, (client) =>
          client.client.app.deleteApp({ app_id: app.id }),
        );
        appIds.delete(target.service);
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
