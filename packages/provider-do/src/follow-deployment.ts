import type { ProviderContext } from '@berth/core';
import type { AppDeployment, DeploymentProgressStep } from './do-raw-api.js';

/** Phases a deployment does not leave. */
export const terminalPhases = new Set(['ACTIVE', 'ERROR', 'CANCELED', 'SUPERSEDED']);

/** The step a deployment is at, e.g. `deploy › web › wait`, and the first failure's reason. Pure. */
export function stepsOf(deployment: AppDeployment): {
  running?: string;
  failure?: { step: string; code?: string; message?: string };
} {
  const found: { running?: string; failure?: { step: string; code?: string; message?: string } } = {};
  const walk = (steps: DeploymentProgressStep[] | undefined, path: string[]) => {
    for (const step of steps ?? []) {
      const here = [
        ...path,
        step.component_name && step.component_name !== step.name
          ? `${step.name} ${step.component_name}`
          : (step.name ?? ''),
      ];
      if (step.status === 'ERROR' && !found.failure && (!step.steps || step.steps.length === 0))
        found.failure = {
          step: here.join(' › '),
          ...(step.reason?.code ? { code: step.reason.code } : {}),
          ...(step.reason?.message ? { message: step.reason.message } : {}),
        };
      if (step.status === 'RUNNING' && (!step.steps || step.steps.length === 0))
        found.running ??= here.join(' › ');
      walk(step.steps, here);
    }
  };
  walk(deployment.progress?.steps, []);
  return found;
}

/**
 * Poll a deployment until it leaves its in-progress phases (or `timeoutMs` passes), reporting its
 * phase and step as progress events. Returns its last state.
 */
export async function followDeployment(
  context: ProviderContext,
  get: () => Promise<AppDeployment>,
  settings: { pollIntervalMs: number; timeoutMs: number },
): Promise<AppDeployment> {
  const deadline = context.clock.now() + settings.timeoutMs;
  let last = '';
  for (;;) {
    const deployment = await get();
    const phase = deployment.phase ?? 'UNKNOWN';
    const { running } = stepsOf(deployment);
    const message = running ? `${phase}: ${running}` : phase;
    if (message !== last) {
      last = message;
      context.progress({
        step: 'deployment',
        message,
        ...(deployment.progress?.total_steps
          ? {
              current: deployment.progress.success_steps ?? 0,
              total: deployment.progress.total_steps,
              unit: 'steps',
            }
          : {}),
      });
    }
    if (terminalPhases.has(phase) || context.clock.now() >= deadline) return deployment;
    await context.clock.sleep(settings.pollIntervalMs, context.signal);
  }
}
