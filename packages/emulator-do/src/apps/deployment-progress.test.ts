import { describe, expect, it } from 'vitest';
import { deploymentSteps, endStep, progressView, startStep } from './deployment-progress.js';

describe('deployment progress', () => {
  it('has six leaf steps for one service, all pending at first', () => {
    expect(progressView(deploymentSteps(['web']))).toMatchObject({ total_steps: 6, pending_steps: 6 });
    expect(progressView(deploymentSteps(['web', 'api']))).toMatchObject({ total_steps: 9 });
  });

  it('ends a parent when all its children succeed, and with the first error', () => {
    const steps = deploymentSteps(['web']);
    endStep(steps, ['build', 'initialize'], 'SUCCESS', 1);
    expect(steps[0]?.status).toBe('RUNNING');
    endStep(steps, ['build', 'components', 'web'], 'SUCCESS', 2);
    expect(steps[0]).toMatchObject({ status: 'SUCCESS', startedAt: 1, endedAt: 2 });
    startStep(steps, ['deploy', 'components', 'web', 'deploy'], 3);
    endStep(steps, ['deploy', 'components', 'web', 'wait'], 'ERROR', 4, { code: 'X', message: 'm' });
    const view = progressView(steps);
    expect(view).toMatchObject({ success_steps: 2, running_steps: 1, error_steps: 1, pending_steps: 2 });
    expect(view.summary_steps).toEqual([
      {
        name: 'build',
        status: 'SUCCESS',
        started_at: new Date(1).toISOString(),
        ended_at: new Date(2).toISOString(),
      },
      {
        name: 'deploy',
        status: 'ERROR',
        started_at: new Date(3).toISOString(),
        ended_at: new Date(4).toISOString(),
      },
    ]);
  });
});
