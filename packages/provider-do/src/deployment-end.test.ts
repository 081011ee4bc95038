import { ProviderError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { deploymentEnd } from './deployment-end.js';
import type { App, AppDeployment, AppSpec } from './do-raw-api.js';
import { stepsOf } from './follow-deployment.js';
import { deploymentOfRevision } from './restore-deployment.js';

const specOf = (revision: string): AppSpec => ({
  name: 'hello-dev',
  envs: [{ key: 'BERTH_REVISION', value: revision, scope: 'BUILD_TIME', type: 'GENERAL' }],
});
const target = { service: 'hello-dev', name: 'hello', environment: 'dev' };
const outcome = { revision: '0002-bbbbb', data: { appId: 'app-1', deploymentId: 'd-2' } };
const failed: AppDeployment = {
  id: 'd-2',
  phase: 'ERROR',
  spec: specOf('0002-bbbbb'),
  progress: {
    steps: [
      { name: 'build', status: 'SUCCESS' },
      {
        name: 'deploy',
        status: 'ERROR',
        steps: [
          {
            name: 'components',
            status: 'ERROR',
            steps: [
              {
                name: 'wait',
                component_name: 'hello',
                status: 'ERROR',
                reason: { code: 'DeployHealthChecksFailed', message: 'health checks failed' },
              },
            ],
          },
        ],
      },
    ],
  },
};
const app = (active?: AppDeployment): App => ({
  id: 'app-1',
  spec: specOf('0002-bbbbb'),
  live_url: 'https://hello.example',
  ...(active ? { active_deployment: active } : {}),
});

describe('deploymentEnd', () => {
  it('an ACTIVE deployment gives the outcome with the live URL', () => {
    expect(
      deploymentEnd({ target, outcome, deployment: { ...failed, phase: 'ACTIVE' }, app: app() }),
    ).toEqual({
      ...outcome,
      url: 'https://hello.example',
    });
  });

  it('a failed deployment while the previous one serves is App Platform keeping it: restored, not redeployed', () => {
    const end = deploymentEnd({
      target,
      outcome,
      deployment: failed,
      app: app({ id: 'd-1', phase: 'ACTIVE', spec: specOf('0001-aaaaa') }),
    });
    expect(end).toBeInstanceOf(ProviderError);
    expect(end).toMatchObject({
      code: 'HEALTH_CHECK_FAILED',
      details: {
        reason: 'DeployHealthChecksFailed',
        platform: { kind: 'restored', revision: '0001-aaaaa', from: '0002-bbbbb' },
      },
    });
    expect((end as ProviderError).message).toContain(
      'deploy › components › wait hello (DeployHealthChecksFailed',
    );
    expect((end as ProviderError).message).toContain('App Platform kept revision 0001-aaaaa serving');
  });

  it('a failed first deployment has nothing serving: no platform action', () => {
    const end = deploymentEnd({
      target,
      outcome,
      deployment: failed,
      app: { ...app(), live_url: undefined } as App,
    });
    expect(end).toMatchObject({ code: 'HEALTH_CHECK_FAILED' });
    expect((end as ProviderError).details?.platform).toBeUndefined();
  });

  it('an image that cannot be pulled, a superseded deployment and a timeout have their own codes', () => {
    const pull: AppDeployment = {
      ...failed,
      progress: { steps: [{ name: 'deploy', status: 'ERROR', reason: { code: 'DeployImagePullFailed' } }] },
    };
    expect(deploymentEnd({ target, outcome, deployment: pull, app: app() })).toMatchObject({
      code: 'DEPLOY_FAILED',
    });
    expect(
      deploymentEnd({ target, outcome, deployment: { id: 'd-2', phase: 'SUPERSEDED' }, app: app() }),
    ).toMatchObject({
      code: 'DEPLOY_FAILED',
    });
    expect(
      deploymentEnd({ target, outcome, deployment: { id: 'd-2', phase: 'DEPLOYING' }, app: app() }),
    ).toMatchObject({
      code: 'DEPLOY_TIMEOUT',
    });
  });
});

describe('stepsOf', () => {
  it('names the running leaf step', () => {
    const running: AppDeployment = {
      id: 'd',
      progress: {
        steps: [{ name: 'deploy', status: 'RUNNING', steps: [{ name: 'initialize', status: 'RUNNING' }] }],
      },
    };
    expect(stepsOf(running)).toEqual({ running: 'deploy › initialize' });
  });
});

describe('deploymentOfRevision', () => {
  const deployments: AppDeployment[] = [
    { id: 'd-4', phase: 'ERROR', spec: specOf('0001-aaaaa') },
    { id: 'd-3', phase: 'SUPERSEDED', spec: specOf('0001-aaaaa') },
    { id: 'd-2', phase: 'SUPERSEDED', spec: specOf('0002-bbbbb') },
    { id: 'd-1', phase: 'SUPERSEDED', spec: specOf('0001-aaaaa') },
  ];
  it('prefers the recorded deployment, else the newest successful one with the revision; never a failed one', () => {
    const record = (deploymentId?: string) => ({
      revision: '0001-aaaaa',
      desired: {} as never,
      ...(deploymentId ? { data: { deploymentId } } : {}),
    });
    expect(deploymentOfRevision(deployments, record('d-1'))?.id).toBe('d-1');
    expect(deploymentOfRevision(deployments, record())?.id).toBe('d-3');
    expect(deploymentOfRevision(deployments, record('d-4'))?.id).toBe('d-3');
    expect(deploymentOfRevision(deployments, { ...record(), revision: '0009-zzzzz' })).toBeUndefined();
  });
});
