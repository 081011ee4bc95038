import { type ApplyOutcome, ProviderError, type ServiceTarget } from '@berth/core';
import type { App, AppDeployment } from './do-raw-api.js';
import { stepsOf } from './follow-deployment.js';
import { revisionOfSpec } from './read-app.js';

/**
 * What the end of an apply's deployment means: the outcome with its URL when it is `ACTIVE`, else
 * the error to throw. A deployment that failed while App Platform kept an earlier one serving is
 * reported as the platform's own rollback (`details.platform: restored`), so the engine records the
 * truth and does not redeploy. Pure.
 */
export function deploymentEnd(input: {
  target: ServiceTarget;
  outcome: ApplyOutcome;
  deployment: AppDeployment;
  app: App | undefined;
}): ApplyOutcome | ProviderError {
  const { target, outcome, deployment, app } = input;
  const phase = deployment.phase ?? 'UNKNOWN';
  if (phase === 'ACTIVE') return { ...outcome, ...(app?.live_url ? { url: app.live_url } : {}) };
  const details = { appId: app?.id ?? '', deploymentId: deployment.id, phase };
  if (phase !== 'ERROR' && phase !== 'CANCELED' && phase !== 'SUPERSEDED')
    return new ProviderError(
      'DEPLOY_TIMEOUT',
      `Deployment ${deployment.id} of ${target.service} is still ${phase}`,
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
  const pull = failure?.code === 'DeployImagePullFailed';
  const hint = pull
    ? 'App Platform could not pull the image: check that it is in the registry and that the app may read it.'
    : phase === 'ERROR'
      ? "The new deployment failed App Platform's health check or exited: read its logs (GET /v2/apps/{id}/deployments/{id}/logs or the control panel)."
      : 'Another deployment replaced or canceled this one: run again when it has ended.';
  const kept = servingRevision && serving?.id !== deployment.id && servingRevision !== outcome.revision;
  return new ProviderError(
    phase === 'ERROR' && !pull ? 'HEALTH_CHECK_FAILED' : 'DEPLOY_FAILED',
    `Deployment ${deployment.id} of ${target.service} ended ${phase}${why}${
      servingRevision ? `; App Platform kept revision ${servingRevision} serving` : ''
    }`,
    {
      hint,
      details: {
        ...details,
        ...(failure?.code ? { reason: failure.code } : {}),
        ...(kept
          ? { platform: { kind: 'restored', revision: servingRevision, from: outcome.revision } }
          : {}),
      },
    },
  );
}
