import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServiceCommand,
  ListOperationsCommand,
  ListServicesCommand,
  type OperationSummary,
  ResumeServiceCommand,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-apprunner';
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
import { type AppRunnerOptions, appRunnerOptionsSchema } from './app-runner-options.js';
import { buildServiceConfiguration } from './build-app-runner-request.js';
import { readAppRunnerService, revisionOf, serviceUrlOf } from './read-app-runner-service.js';
import { validateAppRunnerSpec } from './validate-app-runner-spec.js';

const terminal = new Set(['SUCCEEDED', 'FAILED', 'ROLLBACK_SUCCEEDED', 'ROLLBACK_FAILED']);
const codeOf = (error: unknown) => (error as { code?: unknown }).code;

/**
 * Deploy to AWS App Runner (for existing App Runner customers; new ones: `ecsExpress()`), with
 * images in ECR deployed by digest and secrets in Secrets Manager pinned by version. App Runner has
 * no revisions to route to: a rollback redeploys the recorded image and secret versions. When App
 * Runner rolls a failed deployment back by itself, Berth reports `rolled-back` and does not redeploy.
 */
export function appRunner(input: AppRunnerOptions): Provider {
  const options = parseOptions(appRunnerOptionsSchema, input, 'appRunner');
  const base = awsBase(options);
  const { call, sdk } = base;
  const arns = new Map<string, string>();
  const client = () => sdk().appRunner;

  async function describe(context: ProviderContext, arn: string): Promise<Service | undefined> {
    try {
      const { Service: service } = await call(
        context,
        `describe App Runner service (apprunner:DescribeService)`,
        () => client().send(new DescribeServiceCommand({ ServiceArn: arn })),
      );
      return service;
    } catch (error) {
      if (codeOf(error) === 'PROVIDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** The live service by name (App Runner addresses services by ARN); `undefined` when absent or deleted. */
  async function find(context: ProviderContext, target: ServiceTarget): Promise<Service | undefined> {
    const cached = arns.get(target.service);
    if (cached) {
      const service = await describe(context, cached);
      if (service && service.Status !== 'DELETED') return service;
      arns.delete(target.service);
    }
    let NextToken: string | undefined;
    do {
      const page = await call(context, 'list App Runner services (apprunner:ListServices)', () =>
        client().send(new ListServicesCommand({ MaxResults: 20, ...(NextToken ? { NextToken } : {}) })),
      );
      const summary = page.ServiceSummaryList?.find(
        (candidate) => candidate.ServiceName === target.service && candidate.Status !== 'DELETED',
      );
      if (summary?.ServiceArn) {
        const service = await describe(context, summary.ServiceArn);
        if (!service || service.Status === 'DELETED') return undefined;
        arns.set(target.service, summary.ServiceArn);
        return service;
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return undefined;
  }

  async function operations(context: ProviderContext, arn: string): Promise<OperationSummary[]> {
    const page = await call(context, 'list App Runner operations (apprunner:ListOperations)', () =>
      client().send(new ListOperationsCommand({ ServiceArn: arn, MaxResults: 10 })),
    );
    return page.OperationSummaryList ?? [];
  }

  /** Wait for operation `id` (or the one in progress) to end, up to `timeoutMs`; its last summary. */
  async function waitOperation(
    context: ProviderContext,
    arn: string,
    id: string | undefined,
    timeoutMs: number,
  ): Promise<OperationSummary | undefined> {
    const deadline = context.clock.now() + timeoutMs;
    for (;;) {
      const list = await operations(context, arn);
      const operation = id ? list.find((candidate) => candidate.Id === id) : list[0];
      if (!operation || terminal.has(operation.Status ?? '')) return operation;
      context.progress({ step: 'operation', message: `${operation.Type} ${operation.Status}` });
      if (context.clock.now() >= deadline) return operation;
      await context.clock.sleep(options.pollIntervalMs, context.signal);
    }
  }

  /** Wait while another operation runs on the service; a clear retryable error naming it if it outlasts `busyTimeoutMs`. */
  async function waitIdle(
    context: ProviderContext,
    target: ServiceTarget,
    service: Service,
  ): Promise<Service> {
    if (service.Status !== 'OPERATION_IN_PROGRESS' || !service.ServiceArn) return service;
    const operation = await waitOperation(context, service.ServiceArn, undefined, options.busyTimeoutMs);
    if (operation && !terminal.has(operation.Status ?? ''))
      throw new ProviderError(
        'PROVIDER_BUSY',
        `App Runner service ${target.service} is busy with operation ${operation.Id} (${operation.Type}, ${operation.Status})`,
        {
          retryable: true,
          hint: 'App Runner runs one operation at a time: retry when it has ended (see the console or ListOperations).',
          details: { operationId: operation.Id ?? '', operationType: operation.Type ?? '' },
        },
      );
    return (await describe(context, service.ServiceArn)) ?? service;
  }

  async function imageIdentifier(context: ProviderContext, desired: DesiredService): Promise<string> {
    if (/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/|^public\.ecr\.aws\//.test(desired.image.ref)) {
      const digest = desired.image.digest;
      return digest && !desired.image.ref.includes('@')
        ? `${desired.image.ref.split(':')[0]}@${digest}`
        : desired.image.ref;
    }
    return ecrImageIdentifier(await base.ecr.ensure(context, desired), desired.image);
  }

  async function deleteAndWait(
    context: ProviderContext,
    target: ServiceTarget,
    service: Service,
  ): Promise<void> {
    const arn = service.ServiceArn ?? '';
    const { OperationId } = await call(
      context,
      `delete App Runner service ${target.service} (apprunner:DeleteService)`,
      () => client().send(new DeleteServiceCommand({ ServiceArn: arn })),
    );
    await waitOperation(context, arn, OperationId, options.operationTimeoutMs);
    arns.delete(target.service);
  }

  async function apply(context: ProviderContext, desired: DesiredService): Promise<ApplyOutcome> {
    const configuration = buildServiceConfiguration(desired, {
      imageIdentifier: await imageIdentifier(context, desired),
      accessRoleArn: options.accessRoleArn,
      unhealthyThreshold: options.unhealthyThreshold,
      ...(options.instanceRoleArn ? { instanceRoleArn: options.instanceRoleArn } : {}),
      ...(options.autoScalingConfigurationArn
        ? { autoScalingConfigurationArn: options.autoScalingConfigurationArn }
        : {}),
    });
    let existing = await find(context, desired);
    if (existing) existing = await waitIdle(context, desired, existing);
    if (existing?.Status === 'CREATE_FAILED') {
      // A service whose first version failed can only be deleted: start over.
      context.log('info', `deleting ${desired.service}, whose creation had failed, to create it again`);
      await deleteAndWait(context, desired, existing);
      existing = undefined;
    }
    if (existing?.Status === 'PAUSED') {
      // A paused service serves nothing and refuses updates: resume it, then update it.
      context.log('info', `resuming the paused App Runner service ${desired.service}`);
      const arn = existing.ServiceArn ?? '';
      const { OperationId } = await call(
        context,
        `resume App Runner service ${desired.service} (apprunner:ResumeService)`,
        () => client().send(new ResumeServiceCommand({ ServiceArn: arn })),
      );
      await waitOperation(context, arn, OperationId, options.operationTimeoutMs);
      existing = (await describe(context, arn)) ?? existing;
    }
    if (!existing) {
      context.progress({ step: 'operation', message: 'creating the App Runner service' });
      const created = await call(
        context,
        `create App Runner service ${desired.service} (apprunner:CreateService)`,
        () =>
          client().send(
            new CreateServiceCommand({
              ServiceName: desired.service,
              ...configuration,
              Tags: ownedTags(desired.service, options.tags),
            }),
          ),
      );
      const arn = created.Service?.ServiceArn ?? '';
      arns.set(desired.service, arn);
      const url = created.Service ? serviceUrlOf(created.Service, options.urlScheme) : undefined;
      return {
        revision: desired.revision,
        ...(url ? { url } : {}),
        data: { serviceArn: arn, operationId: created.OperationId ?? '' },
      };
    }
    const arn = existing.ServiceArn ?? '';
    const previous = revisionOf(existing);
    context.progress({ step: 'operation', message: 'updating the App Runner service' });
    const send = () =>
      call(context, `update App Runner service ${desired.service} (apprunner:UpdateService)`, () =>
        client().send(new UpdateServiceCommand({ ServiceArn: arn, ...configuration })),
      );
    let updated: Awaited<ReturnType<typeof send>>;
    try {
      updated = await send();
    } catch (error) {
      // Another operation started between our read and our update: wait for it once, then retry.
      if (codeOf(error) !== 'PROVIDER_BUSY') throw error;
      await waitIdle(context, desired, { ...existing, Status: 'OPERATION_IN_PROGRESS' });
      updated = await send();
    }
    const url = updated.Service ? serviceUrlOf(updated.Service, options.urlScheme) : undefined;
    return {
      revision: desired.revision,
      ...(url ? { url } : {}),
      data: {
        serviceArn: arn,
        operationId: updated.OperationId ?? '',
        ...(previous ? { previousRevision: previous } : {}),
      },
    };
  }

  /** Wait for the apply's operation; report App Runner's own rollback truthfully. */
  async function waitReady(
    context: ProviderContext,
    target: ServiceTarget,
    outcome: ApplyOutcome,
  ): Promise<ApplyOutcome> {
    const arn = String(outcome.data?.serviceArn ?? arns.get(target.service) ?? '');
    const id = outcome.data?.operationId ? String(outcome.data.operationId) : undefined;
    if (!arn) return outcome;
    const operation = await waitOperation(context, arn, id, options.operationTimeoutMs);
    const service = await describe(context, arn);
    const url = service ? serviceUrlOf(service, options.urlScheme) : outcome.url;
    const status = operation?.Status ?? 'UNKNOWN';
    if (status === 'SUCCEEDED') return { ...outcome, ...(url ? { url } : {}) };
    const serving = service ? revisionOf(service) : undefined;
    const details = {
      operationId: operation?.Id ?? '',
      operationType: operation?.Type ?? '',
      operationStatus: status,
    };
    if (status === 'ROLLBACK_SUCCEEDED' && serving && serving !== outcome.revision)
      throw new ProviderError(
        'HEALTH_CHECK_FAILED',
        `App Runner could not deploy revision ${outcome.revision} of ${target.service} and rolled back to revision ${serving} by itself (operation ${operation?.Id}: ROLLBACK_SUCCEEDED)`,
        {
          hint: "The new version failed App Runner's health check or crashed: read its application logs (CloudWatch /aws/apprunner/…/application).",
          details: { ...details, platform: { kind: 'restored', revision: serving, from: outcome.revision } },
        },
      );
    if (!terminal.has(status))
      throw new ProviderError(
        'DEPLOY_TIMEOUT',
        `App Runner operation ${operation?.Id} on ${target.service} is still ${status}`,
        {
          hint: 'Raise `operationTimeoutMs`, or wait for it and run again.',
          details,
        },
      );
    throw new ProviderError(
      'HEALTH_CHECK_FAILED',
      `App Runner operation ${operation?.Id} (${operation?.Type}) on ${target.service} ended ${status}${service?.Status ? `; the service is ${service.Status}` : ''}`,
      {
        hint: "The version failed App Runner's health check or could not start: read the service's event and application logs.",
        details,
      },
    );
  }

  return defineProvider({
    specificationVersion: 'v1',
    name: 'aws-app-runner',
    validateSpec: validateAppRunnerSpec,
    secrets: base.secrets,
    ledger: base.ledger,
    lock: base.lock,
    imageTarget: (context, target) => base.ecr.imageTarget(context, target),

    desiredOptions: () => ({
      accessRoleArn: options.accessRoleArn,
      instanceRoleArn: options.instanceRoleArn ?? null,
    }),

    async preflight(context, _target) {
      const shared = await base.preflightShared(context);
      if (!shared[0]?.ok) return shared;
      return [
        ...shared,
        await probeCheck('api:apprunner', () =>
          call(context, 'list App Runner services (apprunner:ListServices)', () =>
            client().send(new ListServicesCommand({ MaxResults: 1 })),
          ),
        ),
      ];
    },

    async observe(context, target) {
      const service = await find(context, target);
      if (!service) return undefined;
      const operation =
        service.Status === 'OPERATION_IN_PROGRESS' && service.ServiceArn
          ? (await operations(context, service.ServiceArn))[0]
          : undefined;
      return readAppRunnerService({
        service,
        scheme: options.urlScheme,
        ...(operation ? { operation } : {}),
      });
    },

    apply: (context, desired) => apply(context, desired),
    waitReady,

    async listRevisions(context, target) {
      const service = await find(context, target);
      const revision = service ? revisionOf(service) : undefined;
      if (!service || !revision) return [];
      const ref = service.SourceConfiguration?.ImageRepository?.ImageIdentifier;
      return [
        {
          revision,
          ...(ref ? { image: { ref } } : {}),
          traffic: 100,
          status: service.Status === 'RUNNING' ? 'running' : (service.Status ?? '').toLowerCase(),
        },
      ];
    },

    async destroy(context, target, destroyOptions) {
      const removed: string[] = [];
      let service = await find(context, target);
      if (service) {
        service = await waitIdle(context, target, service);
        await deleteAndWait(context, target, service);
        removed.push(`app-runner-service:${target.service}`);
      }
      if (destroyOptions.deleteImages) removed.push(...(await base.ecr.remove(context, target)));
      return { removed };
    },

    close: base.close,
  });
}
