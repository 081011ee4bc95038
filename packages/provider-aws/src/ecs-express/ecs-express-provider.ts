import {
  CreateExpressGatewayServiceCommand,
  DeleteExpressGatewayServiceCommand,
  DescribeExpressGatewayServiceCommand,
  DescribeServiceDeploymentsCommand,
  type ECSExpressGatewayService,
  type ServiceDeployment,
  UpdateExpressGatewayServiceCommand,
} from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  type ApplyOutcome,
  type DesiredService,
  defineProvider,
  type Provider,
  type ProviderContext,
  ProviderError,
  type ServiceTarget,
} from '@berth/core';
import { awsBase, parseOptions, probeCheck } from '../aws-base.js';
import { ownedTags } from '../aws-names.js';
import { ecrImageIdentifier } from '../ecr-registry.js';
import { buildExpressConfiguration } from './build-express-request.js';
import { type EcsExpressOptions, ecsExpressOptionsSchema } from './ecs-express-options.js';
import {
  readExpressService,
  revisionOfConfiguration,
  servingConfiguration,
  urlOfConfiguration,
} from './read-express-service.js';
import { validateExpressSpec } from './validate-express-spec.js';

const finished = new Set(['SUCCESSFUL', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED', 'STOPPED']);
const codeOf = (error: unknown) => (error as { code?: unknown }).code;

/**
 * Deploy to Amazon ECS Express Mode (App Runner's successor), with images in ECR deployed by digest
 * and secrets in Secrets Manager pinned by version. ECS rolls a failing deployment back by itself
 * (circuit breaker): Berth reports that as `rolled-back` without redeploying. A manual rollback
 * redeploys the recorded configuration (a new service revision).
 */
export function ecsExpress(input: EcsExpressOptions): Provider {
  const options = parseOptions(ecsExpressOptionsSchema, input, 'ecsExpress');
  const base = awsBase(options);
  const { call, sdk } = base;
  const ecs = () => sdk().ecs;
  let account: string | undefined;

  async function serviceArn(context: ProviderContext, target: ServiceTarget): Promise<string> {
    account ??= (
      await call(context, 'resolve the AWS account (sts:GetCallerIdentity)', () =>
        sdk().sts.send(new GetCallerIdentityCommand({})),
      )
    ).Account;
    return `arn:aws:ecs:${options.region}:${account}:service/${options.cluster}/${target.service}`;
  }

  async function describeArn(
    context: ProviderContext,
    arn: string,
  ): Promise<ECSExpressGatewayService | undefined> {
    try {
      const { service } = await call(
        context,
        'describe ECS Express service (ecs:DescribeExpressGatewayService)',
        () => ecs().send(new DescribeExpressGatewayServiceCommand({ serviceArn: arn })),
      );
      return service;
    } catch (error) {
      if (codeOf(error) === 'PROVIDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** The service when it is ACTIVE or DRAINING; `undefined` when absent or INACTIVE. */
  async function find(context: ProviderContext, target: ServiceTarget) {
    const service = await describeArn(context, await serviceArn(context, target));
    return service && service.status?.statusCode !== 'INACTIVE' ? service : undefined;
  }

  async function deployment(
    context: ProviderContext,
    arn: string | undefined,
  ): Promise<ServiceDeployment | undefined> {
    if (!arn) return undefined;
    const { serviceDeployments } = await call(
      context,
      'describe ECS service deployment (ecs:DescribeServiceDeployments)',
      () => ecs().send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] })),
    );
    return serviceDeployments?.[0];
  }

  /** Wait until a deleted service has drained (ACTIVE → DRAINING → INACTIVE). */
  async function waitInactive(context: ProviderContext, arn: string): Promise<void> {
    const deadline = context.clock.now() + options.operationTimeoutMs;
    for (;;) {
      const service = await describeArn(context, arn);
      if (!service || service.status?.statusCode === 'INACTIVE') return;
      context.progress({ step: 'operation', message: `ECS service ${service.status?.statusCode}` });
      if (context.clock.now() >= deadline)
        throw new ProviderError(
          'DEPLOY_TIMEOUT',
          `ECS service ${arn} is still ${service.status?.statusCode}`,
          {
            hint: 'Raise `operationTimeoutMs`, or wait and run again.',
          },
        );
      await context.clock.sleep(options.pollIntervalMs, context.signal);
    }
  }

  async function imageOf(context: ProviderContext, desired: DesiredService): Promise<string> {
    if (/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//.test(desired.image.ref) && desired.image.ref.includes('@'))
      return desired.image.ref;
    return ecrImageIdentifier(await base.ecr.ensure(context, desired), desired.image);
  }

  async function apply(context: ProviderContext, desired: DesiredService): Promise<ApplyOutcome> {
    const configuration = buildExpressConfiguration(desired, {
      image: await imageOf(context, desired),
      executionRoleArn: options.executionRoleArn,
      cpuArchitecture: options.cpuArchitecture,
      ...(options.taskRoleArn ? { taskRoleArn: options.taskRoleArn } : {}),
    });
    const arn = await serviceArn(context, desired);
    let existing = await find(context, desired);
    if (existing?.status?.statusCode === 'DRAINING') {
      context.log('info', `waiting for the deleted ${desired.service} to drain before creating it again`);
      await waitInactive(context, arn);
      existing = undefined;
    }
    if (!existing) {
      context.progress({ step: 'operation', message: 'creating the ECS Express service' });
      const { service } = await call(
        context,
        `create ECS Express service ${desired.service} (ecs:CreateExpressGatewayService)`,
        () =>
          ecs().send(
            new CreateExpressGatewayServiceCommand({
              serviceName: desired.service,
              cluster: options.cluster,
              infrastructureRoleArn: options.infrastructureRoleArn,
              ...configuration,
              tags: ownedTags(desired.service, options.tags).map(({ Key, Value }) => ({
                key: Key,
                value: Value,
              })),
            }),
          ),
      );
      const url = urlOfConfiguration(service?.activeConfigurations?.[0], options.urlScheme);
      return {
        revision: desired.revision,
        ...(url ? { url } : {}),
        data: { serviceArn: service?.serviceArn ?? arn, deploymentArn: service?.currentDeployment ?? '' },
      };
    }
    context.progress({ step: 'operation', message: 'updating the ECS Express service' });
    const { service } = await call(
      context,
      `update ECS Express service ${desired.service} (ecs:UpdateExpressGatewayService)`,
      () => ecs().send(new UpdateExpressGatewayServiceCommand({ serviceArn: arn, ...configuration })),
    );
    const url = urlOfConfiguration(service?.targetConfiguration, options.urlScheme);
    // The update's deployment is the service's current one from now on.
    const after = await describeArn(context, arn);
    return {
      revision: desired.revision,
      ...(url ? { url } : {}),
      data: {
        serviceArn: arn,
        deploymentArn: after?.currentDeployment ?? '',
        ...(service?.targetConfiguration?.serviceRevisionArn
          ? { serviceRevisionArn: service.targetConfiguration.serviceRevisionArn }
          : {}),
      },
    };
  }

  /** Wait for the apply's deployment; report ECS's own rollback (circuit breaker) truthfully. */
  async function waitReady(
    context: ProviderContext,
    target: ServiceTarget,
    outcome: ApplyOutcome,
  ): Promise<ApplyOutcome> {
    const arn = String(outcome.data?.serviceArn ?? (await serviceArn(context, target)));
    const deploymentArn = String(outcome.data?.deploymentArn ?? '');
    if (!deploymentArn) return outcome;
    const deadline = context.clock.now() + options.operationTimeoutMs;
    let current = await deployment(context, deploymentArn);
    while (current && !finished.has(current.status ?? '')) {
      context.progress({
        step: 'operation',
        message: `deployment ${current.status} ${current.lifecycleStage ?? ''}`.trim(),
      });
      if (context.clock.now() >= deadline)
        throw new ProviderError(
          'DEPLOY_TIMEOUT',
          `ECS deployment ${deploymentArn} is still ${current.status}`,
          {
            hint: 'Raise `operationTimeoutMs`, or wait for it and run again.',
          },
        );
      await context.clock.sleep(options.pollIntervalMs, context.signal);
      current = await deployment(context, deploymentArn);
    }
    const service = await describeArn(context, arn);
    const serving = service ? servingConfiguration(service, current) : undefined;
    const url = urlOfConfiguration(serving, options.urlScheme) ?? outcome.url;
    const status = current?.status ?? 'UNKNOWN';
    const details = { deploymentArn, deploymentStatus: status, statusReason: current?.statusReason ?? '' };
    if (status === 'SUCCESSFUL') return { ...outcome, ...(url ? { url } : {}) };
    const restored = revisionOfConfiguration(serving);
    if (status === 'ROLLBACK_SUCCESSFUL' && restored && restored !== outcome.revision)
      throw new ProviderError(
        'HEALTH_CHECK_FAILED',
        `ECS could not deploy revision ${outcome.revision} of ${target.service} and rolled back to revision ${restored} by itself (deployment ${status}: ${current?.statusReason ?? ''})`,
        {
          hint: 'The new tasks failed their health check or stopped: read the task logs and stopped reasons.',
          details: { ...details, platform: { kind: 'restored', revision: restored, from: outcome.revision } },
        },
      );
    if (status === 'STOPPED')
      throw new ProviderError(
        'PROVIDER_CONFLICT',
        `ECS deployment ${deploymentArn} was replaced by another one`,
        {
          retryable: true,
          hint: 'Someone else updated the service during this run; run again.',
          details,
        },
      );
    throw new ProviderError(
      'HEALTH_CHECK_FAILED',
      `ECS deployment of revision ${outcome.revision} of ${target.service} ended ${status}${current?.statusReason ? `: ${current.statusReason}` : ''}`,
      {
        hint: 'The tasks failed their health check or could not start: read the task logs and stopped reasons.',
        details,
      },
    );
  }

  return defineProvider({
    specificationVersion: 'v1',
    name: 'aws-ecs-express',
    validateSpec: validateExpressSpec,
    secrets: base.secrets,
    ledger: base.ledger,
    lock: base.lock,
    imageTarget: (context, target) =>
      base.ecr.imageTarget(
        context,
        target,
        options.cpuArchitecture === 'ARM64' ? 'linux/arm64' : 'linux/amd64',
      ),

    desiredOptions: () => ({
      executionRoleArn: options.executionRoleArn,
      taskRoleArn: options.taskRoleArn ?? null,
    }),

    async preflight(context, target) {
      const shared = await base.preflightShared(context);
      if (!shared[0]?.ok) return shared;
      return [
        ...shared,
        await probeCheck('api:ecs', async () => {
          try {
            await describeArn(context, await serviceArn(context, target));
          } catch (error) {
            if (codeOf(error) !== 'PROVIDER_NOT_FOUND') throw error;
          }
        }),
      ];
    },

    async observe(context, target) {
      const service = await find(context, target);
      if (!service) return undefined;
      if (service.status?.statusCode === 'DRAINING')
        return {
          service: target.service,
          env: {},
          secrets: {},
          ready: false,
          running: false,
          data: { serviceArn: service.serviceArn ?? '' },
        };
      const current = await deployment(context, service.currentDeployment);
      return readExpressService({
        service,
        scheme: options.urlScheme,
        ...(current ? { deployment: current } : {}),
      });
    },

    apply: (context, desired) => apply(context, desired),
    waitReady,

    async destroy(context, target, destroyOptions) {
      const removed: string[] = [];
      const service = await find(context, target);
      if (service?.serviceArn) {
        if (service.status?.statusCode === 'ACTIVE')
          await call(
            context,
            `delete ECS Express service ${target.service} (ecs:DeleteExpressGatewayService)`,
            () => ecs().send(new DeleteExpressGatewayServiceCommand({ serviceArn: service.serviceArn })),
          );
        await waitInactive(context, service.serviceArn);
        removed.push(`ecs-express-service:${target.service}`);
      }
      if (destroyOptions.deleteImages) removed.push(...(await base.ecr.remove(context, target)));
      return { removed };
    },

    close: base.close,
  });
}
