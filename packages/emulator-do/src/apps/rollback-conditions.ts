import type { AppRecord, DeploymentRecord } from './app-records.js';

/** `app_rollback_validation_condition`. */
export interface RollbackCondition {
  code:
    | 'incompatible_phase'
    | 'incompatible_result'
    | 'exceeded_revision_limit'
    | 'app_pinned'
    | 'database_config_conflict'
    | 'region_conflict'
    | 'static_site_requires_rebuild'
    | 'image_source_missing_digest';
  message: string;
  components?: string[];
}

/** How many earlier deployments an app can roll back to (App Platform's basic tier keeps 10). */
export const rollbackRevisionLimit = 10;

/** The failing condition (if any) and warnings of rolling `app` back to `target`. */
export function rollbackConditions(
  app: AppRecord,
  target: DeploymentRecord,
): { error?: RollbackCondition; warnings: RollbackCondition[] } {
  const warnings: RollbackCondition[] = [];
  const withoutDigest = (target.spec.services ?? [])
    .filter((service) => service.image && !service.image.digest)
    .map((service) => service.name);
  if (withoutDigest.length > 0)
    warnings.push({
      code: 'image_source_missing_digest',
      components: withoutDigest,
      message:
        'one or more components are missing an image digest and are not guaranteed rollback to the old version.',
    });
  const error = ((): RollbackCondition | undefined => {
    if (app.pinned)
      return {
        code: 'app_pinned',
        message: `app is pinned to deployment ${app.pinned.id}: a rollback is in progress`,
      };
    if (target.phase === 'ERROR' || target.phase === 'CANCELED')
      return {
        code: 'incompatible_result',
        message: `deployment result "${target.phase === 'ERROR' ? 'failed' : 'canceled'}" is unsuitable for rollback`,
      };
    if (target.phase !== 'SUPERSEDED')
      return {
        code: 'incompatible_phase',
        message:
          target === app.active
            ? 'deployment is the active deployment'
            : `deployment phase "${target.phase}" is unsuitable for rollback`,
      };
    const superseded = app.deployments.filter((deployment) => deployment.phase === 'SUPERSEDED');
    if (superseded.indexOf(target) < superseded.length - rollbackRevisionLimit)
      return {
        code: 'exceeded_revision_limit',
        message: `only the last ${rollbackRevisionLimit} deployments can be rolled back to`,
      };
    if ((target.spec.region ?? '') !== (app.spec.region ?? ''))
      return { code: 'region_conflict', message: "deployment's region differs from the current app region" };
    return undefined;
  })();
  return { ...(error ? { error } : {}), warnings };
}
