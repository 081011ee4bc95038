import {
  type ApplyOutcome,
  BerthError,
  type ProviderContext,
  ProviderError,
  type RevisionRecord,
  type ServiceTarget,
} from '@berth/core';
import type { AppPlatformClient } from './app-platform-client.js';
import type { AppDeployment } from './do-raw-api.js';
import { revisionOfSpec } from './read-app.js';

/** The deployment that ran `record` successfully: the recorded one, else the newest with its revision. Pure. */
export function deploymentOfRevision(
  deployments: AppDeployment[],
  record: RevisionRecord,
): AppDeployment | undefined {
  const recorded = typeof record.data?.deploymentId === 'string' ? record.data.deploymentId : undefined;
  const candidates = deployments.filter(
    (deployment) =>
      revisionOfSpec(deployment.spec) === record.revision &&
      (deployment.phase === 'ACTIVE' || deployment.phase === 'SUPERSEDED'),
  );
  return candidates.find((deployment) => deployment.id === recorded) ?? candidates[0];
}

/**
 * Restores through App Platform's rollback API: validate, roll back pinned (no rebuild, the old
 * deployment's spec with its own encrypted secrets), followed to `ACTIVE`; then, after Berth's
 * verification, commit (unpin) or revert.
 */
export function restoreDeployment(client: AppPlatformClient) {
  const { call } = client;

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
      await call(context, 'commit rollback (POST /v2/apps/{id}/rollback/commit)', (api) =>
        api.raw.commitRollback(appId),
      );
      return;
    }
    const { deployment } = await call(
      context,
      'revert rollback (POST /v2/apps/{id}/rollback/revert)',
      (api) => api.raw.revertRollback(appId),
    );
    await client.follow(context, appId, deployment.id);
  }

  async function restoreRevision(
    context: ProviderContext,
    target: ServiceTarget,
    record: RevisionRecord,
  ): Promise<ApplyOutcome> {
    const app = await client.find(context, target);
    if (!app)
      throw new ProviderError('REVISION_NOT_FOUND', `${target.service} has no app to roll back`, {
        hint: 'Run `up` to deploy it again.',
      });
    const active = app.active_deployment;
    if (active && revisionOfSpec(active.spec) === record.revision) {
      // Still serving (App Platform kept it): stop what is deploying; nothing to roll back.
      const running = app.in_progress_deployment;
      if (running)
        await call(context, 'cancel deployment (POST /v2/apps/{app_id}/deployments/{id}/cancel)', (api) =>
          api.client.app.cancelAppDeployment({ app_id: app.id, deployment_id: running.id }),
        ).catch((error: unknown) => {
          // It ended meanwhile: App Platform refuses to cancel a finished deployment.
          if (!BerthError.isInstance(error) || error.details?.status !== 400) throw error;
        });
      return {
        revision: record.revision,
        ...(app.live_url ? { url: app.live_url } : {}),
        data: { appId: app.id, deploymentId: active.id },
      };
    }
    const source = deploymentOfRevision(await client.listDeployments(context, app.id), record);
    if (!source)
      throw new ProviderError(
        'REVISION_NOT_FOUND',
        `App Platform has no successful deployment of revision ${record.revision} of ${target.service}`,
        {
          hint: 'App Platform rolls back to its last 10 deployments only: deploy that version again with `up`.',
        },
      );
    await client.unpin(context, app);
    const validation = await call(
      context,
      'validate rollback (POST /v2/apps/{id}/rollback/validate)',
      (api) => api.raw.validateRollback(app.id, source.id),
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
    const deployment = await call(context, 'roll back (POST /v2/apps/{id}/rollback)', (api) =>
      api.raw.rollback(app.id, source.id, false),
    ).then(
      (answer) => answer.deployment,
      async (error: unknown) => {
        // A retry after a lost answer is refused (the app is pinned): follow the first attempt's deployment.
        const pinned = (await client.getApp(context, app.id))?.pinned_deployment;
        if (pinned?.cloned_from === source.id) return pinned;
        throw error;
      },
    );
    const finished = await client.follow(context, app.id, deployment.id);
    if (finished.phase !== 'ACTIVE') {
      await finishRestore(
        context,
        target,
        { revision: record.revision, data: { appId: app.id, pinned: true } },
        'revert',
      ).catch((error: unknown) =>
        context.log('warn', `reverting the failed rollback of ${target.service} failed: ${String(error)}`),
      );
      throw new ProviderError(
        'ROLLBACK_FAILED',
        `The rollback deployment ${deployment.id} of ${target.service} ended ${finished.phase}`,
        {
          hint: "Read the deployment's logs; the rollback was reverted.",
          details: { appId: app.id, deploymentId: deployment.id, phase: finished.phase ?? 'UNKNOWN' },
        },
      );
    }
    const after = await client.getApp(context, app.id);
    return {
      revision: record.revision,
      ...(after?.live_url ? { url: after.live_url } : {}),
      data: { appId: app.id, deploymentId: deployment.id, rolledBackTo: source.id, pinned: true },
    };
  }

  return { restoreRevision, finishRestore };
}
