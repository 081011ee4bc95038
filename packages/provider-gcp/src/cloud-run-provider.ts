import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ApplyOutcome,
  BerthError,
  type DesiredService,
  defineProvider,
  type PreflightCheck,
  type Provider,
  type ProviderContext,
  type ServiceSpec,
  type ServiceTarget,
  ValidationError,
} from '@berth/core';
import type { protos } from '@google-cloud/run';
import { allTrafficTo, buildService, buildTraffic } from './build-service-request.js';
import {
  type CloudRunOptions,
  cloudRunOptionsSchema,
  type ResolvedCloudRunOptions,
} from './cloud-run-options.js';
import { createGcpClients, type GcpClients } from './gcp-clients.js';
import { imageRepository, locationName, serviceName } from './gcp-names.js';
import { gcpSecretStore } from './gcp-secret-store.js';
import { gcpLedgerStore, gcpTargetLock } from './gcp-target-store.js';
import { preflightChecks } from './preflight.js';
import {
  isPublic,
  readObservedService,
  readRevisions,
  servingRevisionName,
  servingTraffic,
  tagUrl,
} from './read-observed-service.js';
import { validateCloudRunSpec } from './validate-cloud-run-spec.js';
import { type RetryPolicy, withRetry } from './with-retry.js';

type IService = protos.google.cloud.run.v2.IService;
type ITrafficTarget = protos.google.cloud.run.v2.ITrafficTarget;

function failedCheck(name: string, error: unknown): PreflightCheck {
  const message = error instanceof Error ? error.message : String(error);
  return { name, ok: false, message, ...(BerthError.isInstance(error) ? { hint: error.hint } : {}) };
}

function resolveOptions(options: CloudRunOptions): ResolvedCloudRunOptions {
  const { authClient, clients, ...rest } = options;
  const parsed = cloudRunOptionsSchema.safeParse(rest);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({
        path: `cloudRun.${issue.path.join('.')}`,
        message: issue.message,
        hint: 'Fix this option of cloudRun(); see docs/providers/gcp.md.',
      })),
    );
  return { ...parsed.data, ...(authClient ? { authClient } : {}), ...(clients ? { clients } : {}) };
}

/**
 * Deploy to Google Cloud Run (Admin API v2), with secrets in Secret Manager and images in Artifact
 * Registry. New revisions get no traffic until Berth verified them on their tag URL.
 */
export function cloudRun(input: CloudRunOptions): Provider {
  const options = resolveOptions(input);
  const { project, region } = options;
  let clients: GcpClients | undefined;
  const sdk = () => {
    clients ??= createGcpClients(options);
    return clients;
  };
  const retry = (context: Pick<ProviderContext, 'clock' | 'signal'>): RetryPolicy => ({
    attempts: options.retry.attempts,
    baseDelayMs: options.retry.baseDelayMs,
    clock: context.clock,
    signal: context.signal,
  });
  const call = <T>(context: ProviderContext, action: string, operation: () => Promise<T>) =>
    withRetry(action, retry(context), operation);
  const nameOf = (target: ServiceTarget) => serviceName(project, region, target.service);

  async function getService(context: ProviderContext, target: ServiceTarget): Promise<IService | undefined> {
    try {
      const [service] = await call(context, `get service ${target.service}`, () =>
        sdk().services.getService({ name: nameOf(target) }),
      );
      return service;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'PROVIDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async function writeManifest(service: string, body: IService): Promise<void> {
    if (!options.manifestDir) return;
    await mkdir(options.manifestDir, { recursive: true });
    await writeFile(
      join(options.manifestDir, `${service}.cloud-run-service.json`),
      `${JSON.stringify(body, null, 2)}\n`,
    );
  }

  /** Make `allUsers` invokers or not; skipped when the policy already says so. */
  async function ensureInvoker(
    context: ProviderContext,
    target: ServiceTarget,
    wanted: boolean,
  ): Promise<void> {
    const resource = nameOf(target);
    const [policy] = await call(context, 'read the invoker policy', () =>
      sdk().services.getIamPolicy({ resource }),
    );
    if (isPublic(policy) === wanted) return;
    const bindings = (policy.bindings ?? []).map((binding) =>
      binding.role === 'roles/run.invoker'
        ? { ...binding, members: (binding.members ?? []).filter((member) => member !== 'allUsers') }
        : binding,
    );
    if (wanted) bindings.push({ role: 'roles/run.invoker', members: ['allUsers'] });
    await call(context, 'set the invoker policy', () =>
      sdk().services.setIamPolicy({
        resource,
        policy: { ...policy, bindings: bindings.filter((binding) => (binding.members ?? []).length > 0) },
      }),
    );
  }

  /** Create or update the service and wait for its operation. */
  async function putService(
    context: ProviderContext,
    target: ServiceTarget,
    body: IService,
    exists: boolean,
  ): Promise<IService> {
    context.progress({
      step: 'operation',
      message: exists ? 'updating the Cloud Run service' : 'creating the Cloud Run service',
    });
    const run = async () => {
      const [operation] = exists
        ? await sdk().services.updateService({ service: { ...body, name: nameOf(target) } })
        : await sdk().services.createService({
            parent: locationName(project, region),
            serviceId: target.service,
            service: body,
          });
      const [service] = await operation.promise();
      return service;
    };
    return call(context, `${exists ? 'update' : 'create'} Cloud Run service ${target.service}`, run);
  }

  /** Route `traffic` on the existing service, leaving its template (no new revision). */
  async function routeTraffic(
    context: ProviderContext,
    target: ServiceTarget,
    traffic: ITrafficTarget[],
  ): Promise<ApplyOutcome & { service: IService }> {
    const current = await getService(context, target);
    if (!current)
      throw new ValidationError([
        { path: 'service', message: `${target.service} does not exist`, hint: 'Deploy it first.' },
      ]);
    const service = await putService(context, target, { ...current, traffic }, true);
    const revision = servingRevisionName(service, target.service);
    return {
      revision: revision ? revision.slice(target.service.length + 1) : '',
      ...(service.uri ? { url: service.uri } : {}),
      service,
    };
  }

  async function deploy(
    context: ProviderContext,
    desired: DesiredService,
    strategy: 'verify-before-traffic' | 'direct',
  ): Promise<ApplyOutcome> {
    const existing = await getService(context, desired);
    const traffic = buildTraffic({
      strategy,
      service: desired.service,
      newRevision: desired.revision,
      serving: existing ? servingTraffic(existing, desired.service) : [],
      candidateTag: options.candidateTag,
    });
    const body = buildService(desired, {
      project,
      ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
      minInstances: options.minInstances,
      labels: options.labels,
      traffic,
    });
    await writeManifest(desired.service, body);
    let service: IService;
    try {
      service = await putService(context, desired, body, existing !== undefined);
    } catch (error) {
      // A create retried after a lost answer finds the service already there: update it instead.
      if (existing || (error as { code?: unknown }).code !== 'PROVIDER_CONFLICT') throw error;
      service = await putService(context, desired, body, true);
    }
    await ensureInvoker(context, desired, desired.public);
    const tagged = traffic.some((target) => target.tag === options.candidateTag);
    const candidateUrl = tagged ? tagUrl(service, options.candidateTag) : undefined;
    return {
      revision: desired.revision,
      ...(service.uri ? { url: service.uri } : {}),
      ...(candidateUrl ? { candidateUrl } : {}),
      data: { cloudRunRevision: `${desired.service}-${desired.revision}` },
    };
  }

  /** Create the Artifact Registry Docker repository when missing (idempotent). */
  async function ensureRepository(context: ProviderContext): Promise<PreflightCheck> {
    const parent = locationName(project, region);
    const name = `${parent}/repositories/${options.repository}`;
    const check = `repository:${options.repository}`;
    try {
      await call(context, `get repository ${options.repository}`, () =>
        sdk().registry.getRepository({ name }),
      );
      return { name: check, ok: true };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'PROVIDER_NOT_FOUND') return failedCheck(check, error);
    }
    try {
      await call(context, `create repository ${options.repository}`, async () => {
        const [operation] = await sdk().registry.createRepository({
          parent,
          repositoryId: options.repository,
          repository: {
            format: 'DOCKER',
            description: 'Images deployed by Berth',
            labels: { 'managed-by': 'berth' },
          },
        });
        await operation.promise();
      });
      context.log('info', `created Artifact Registry repository ${options.repository}`);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'PROVIDER_CONFLICT') return failedCheck(check, error);
    }
    return { name: check, ok: true, message: 'created' };
  }

  return defineProvider({
    specificationVersion: 'v1',
    name: 'gcp-cloud-run',
    validateSpec: validateCloudRunSpec,
    secrets: gcpSecretStore({ clients: sdk, project, labels: options.labels, retry }),
    // Convergence data and the lock live with the target, in Secret Manager.
    ledger: gcpLedgerStore({ clients: sdk, project, labels: options.labels, retry }),
    lock: (context, target, run) =>
      gcpTargetLock({ clients: sdk, project, labels: options.labels, retry }, context, target, run),

    // Options that change what runs are desired state: planned, hashed, compared.
    desiredOptions: (_target, spec) => ({
      ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
      ...(spec.resources?.minInstances === undefined ? { minInstances: options.minInstances } : {}),
    }),

    async observe(context, target) {
      const service = await getService(context, target);
      if (!service) return undefined;
      const servingName = servingRevisionName(service, target.service);
      let revision: protos.google.cloud.run.v2.IRevision | undefined;
      if (servingName)
        try {
          [revision] = await call(context, `get revision ${servingName}`, () =>
            sdk().revisions.getRevision({ name: `${nameOf(target)}/revisions/${servingName}` }),
          );
        } catch (error) {
          if ((error as { code?: unknown }).code !== 'PROVIDER_NOT_FOUND') throw error;
        }
      const [policy] = await call(context, 'read the invoker policy', () =>
        sdk().services.getIamPolicy({ resource: nameOf(target) }),
      );
      return readObservedService({ serviceId: target.service, service, revision, policy });
    },

    apply: (context, desired) => deploy(context, desired, options.strategy),

    async shiftTraffic(context, target, revision) {
      const { service: _service, ...outcome } = await routeTraffic(
        context,
        target,
        allTrafficTo(target.service, revision),
      );
      return { ...outcome, revision };
    },

    async restoreRevision(context, target, record) {
      try {
        await call(context, `get revision ${record.revision}`, () =>
          sdk().revisions.getRevision({
            name: `${nameOf(target)}/revisions/${target.service}-${record.revision}`,
          }),
        );
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'PROVIDER_NOT_FOUND') throw error;
        // The revision is gone: recreate it under the same name with all traffic.
        return deploy(context, record.desired, 'direct');
      }
      const { service: _service, ...outcome } = await routeTraffic(
        context,
        target,
        allTrafficTo(target.service, record.revision),
      );
      return { ...outcome, revision: record.revision };
    },

    async listRevisions(context, target) {
      const service = await getService(context, target);
      if (!service) return [];
      const [revisions] = await call(context, 'list revisions', () =>
        sdk().revisions.listRevisions({ parent: nameOf(target) }),
      );
      return readRevisions(target.service, service, revisions);
    },

    async destroy(context, target, destroyOptions) {
      if (destroyOptions.deleteImages)
        context.log(
          'warn',
          'Images are kept: deleting images from Artifact Registry is not supported by this provider yet.',
        );
      const service = await getService(context, target);
      if (!service) return { removed: [] };
      await call(context, `delete Cloud Run service ${target.service}`, async () => {
        const [operation] = await sdk().services.deleteService({ name: nameOf(target) });
        await operation.promise();
      });
      return { removed: [nameOf(target)] };
    },

    // Read-only (plans call it too): the repository is created by `preflight` during `up`.
    async imageTarget(_context, target) {
      const credentials = options.registry.credentials ?? {
        username: 'oauth2accesstoken',
        password: await sdk().accessToken(),
      };
      return {
        registry: options.registry.host ?? `${region}-docker.pkg.dev`,
        repository: imageRepository(project, options.repository, target.service),
        credentials,
        platform: 'linux/amd64',
      };
    },

    async preflight(context: ProviderContext, _target: ServiceTarget, spec?: ServiceSpec) {
      const checks = await preflightChecks(context, {
        clients: sdk(),
        project,
        region,
        retry: retry(context),
      });
      if (checks.every((check) => check.ok) && spec && 'build' in spec.image)
        checks.push(await ensureRepository(context));
      return checks;
    },

    async close() {
      await clients?.close();
      clients = undefined;
    },
  });
}
