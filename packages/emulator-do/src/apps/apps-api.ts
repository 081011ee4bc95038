import { randomUUID } from 'node:crypto';
import { openServiceEndpoint } from '@berth/emulator-runtime';
import { DoError, notFound } from '../protocol/do-error.js';
import type { Call, Json, Route } from '../protocol/router.js';
import { type AppRecord, appView, type DeploymentRecord, deploymentView, inProgress } from './app-records.js';
import type { AppSpec } from './app-spec.js';
import { deploymentSteps } from './deployment-progress.js';
import type { DeploymentRunner } from './deployment-runner.js';
import { rollbackConditions } from './rollback-conditions.js';
import type { SecretBox } from './secret-envs.js';
import { validateAppSpec } from './validate-app-spec.js';

/** What the App Platform API needs from the emulator. */
export interface AppsApiOptions {
  runner: DeploymentRunner;
  secrets: SecretBox;
  ownerUuid: string;
  defaultRegion: string;
  /** `http://127.0.0.1:<port>`: base of page links and log URLs. */
  baseUrl(): string;
  now(): number;
  log(line: string): void;
}

/** A page of `items` with DigitalOcean's `links.pages` and `meta.total`. */
export function paginate<T>(items: T[], query: URLSearchParams, path: string) {
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const perPage = Math.min(200, Math.max(1, Number(query.get('per_page') ?? 20) || 20));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (number: number) => `${path}?page=${number}&per_page=${perPage}`;
  const pages: Record<string, string> = {};
  if (page > 1) Object.assign(pages, { first: link(1), prev: link(page - 1) });
  if (page < last) Object.assign(pages, { next: link(page + 1), last: link(last) });
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    links: { pages },
    meta: { total: items.length },
  };
}

/** The App Platform routes: apps, deployments, logs and the rollback API. */
export function appsApi(options: AppsApiOptions) {
  const apps = new Map<string, AppRecord>();
  /** Every run under way, so `close` can wait for them. */
  const runs = new Set<Promise<void>>();

  const view = (app: AppRecord, created?: DeploymentRecord) =>
    appView(app, options.ownerUuid, options.defaultRegion, created);

  function appOf(call: Call): AppRecord {
    const app = apps.get(call.params.app_id ?? call.params.id ?? '');
    if (!app) throw notFound();
    return app;
  }

  function deploymentOf(app: AppRecord, id: string | undefined): DeploymentRecord {
    const deployment = app.deployments.find((candidate) => candidate.id === id);
    if (!deployment) throw notFound();
    return deployment;
  }

  function refuseWhilePinned(app: AppRecord) {
    if (app.pinned)
      throw new DoError(
        400,
        `app is pinned to deployment ${app.pinned.id} by a rollback: commit or revert the rollback before deploying`,
        'bad_request',
      );
  }

  /** Start a deployment of `spec`; a deployment still in progress is SUPERSEDED by it. */
  async function deploy(app: AppRecord, spec: AppSpec, cause: string, clonedFrom?: string) {
    const now = options.now();
    const previous = inProgress(app);
    if (previous) await options.runner.stop(previous, 'SUPERSEDED');
    const deployment: DeploymentRecord = {
      id: randomUUID(),
      appId: app.id,
      spec: structuredClone(spec),
      cause,
      ...(clonedFrom ? { clonedFrom } : {}),
      phase: 'PENDING_BUILD',
      createdAt: now,
      updatedAt: now,
      phaseLastUpdatedAt: now,
      steps: deploymentSteps((spec.services ?? []).map((service) => service.name)),
      instances: new Map(),
      log: [
        `${new Date(now).toISOString()} deployment created: ${cause}`,
        `${new Date(now).toISOString()} phase PENDING_BUILD`,
      ],
    };
    app.deployments.push(deployment);
    // The run starts after this call has answered, so the answer shows the deployment as created.
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => options.runner.run(app, deployment))
      .catch((error: unknown) => options.log(`deployment ${deployment.id} crashed: ${String(error)}`))
      .finally(() => runs.delete(run));
    runs.add(run);
    return deployment;
  }

  function specOf(body: Json): AppSpec {
    validateAppSpec(body.spec);
    return options.secrets.sealSpec(body.spec as AppSpec);
  }

  function nameTaken(name: string, except?: string) {
    return [...apps.values()].some((app) => app.spec.name === name && app.id !== except);
  }

  function rollbackTarget(app: AppRecord, body: Json) {
    if (typeof body.deployment_id !== 'string' || body.deployment_id === '')
      throw new DoError(400, 'deployment_id is required', 'invalid_argument');
    return deploymentOf(app, body.deployment_id);
  }

  const routes: Route[] = [
    {
      operation: 'POST /v2/apps',
      async handle(call) {
        const spec = specOf(call.body);
        if (nameTaken(spec.name))
          throw new DoError(409, `an app with the name "${spec.name}" already exists`, 'conflict');
        const now = options.now();
        const app: AppRecord = {
          id: randomUUID(),
          spec,
          createdAt: now,
          updatedAt: now,
          endpoint: await openServiceEndpoint({ status: 404, body: 'Not Found' }),
          deployments: [],
          projectId: typeof call.body.project_id === 'string' ? call.body.project_id : randomUUID(),
        };
        apps.set(app.id, app);
        const deployment = await deploy(app, spec, 'app created');
        return { status: 200, body: { app: view(app, deployment) } };
      },
    },
    {
      operation: 'GET /v2/apps',
      handle(call) {
        const page = paginate([...apps.values()], call.query, `${options.baseUrl()}/v2/apps`);
        return {
          status: 200,
          body: { apps: page.items.map((app) => view(app)), links: page.links, meta: page.meta },
        };
      },
    },
    {
      operation: 'GET /v2/apps/{id}',
      handle: (call) => ({ status: 200, body: { app: view(appOf(call)) } }),
    },
    {
      operation: 'PUT /v2/apps/{id}',
      async handle(call) {
        const app = appOf(call);
        const spec = specOf(call.body);
        if (nameTaken(spec.name, app.id))
          throw new DoError(409, `an app with the name "${spec.name}" already exists`, 'conflict');
        const changed = JSON.stringify(spec) !== JSON.stringify(app.spec);
        const updateAll = call.body.update_all_source_versions === true;
        if (!changed && !updateAll) return { status: 200, body: { app: view(app) } };
        refuseWhilePinned(app);
        app.spec = spec;
        app.updatedAt = options.now();
        const deployment = await deploy(app, spec, 'app spec updated');
        return { status: 200, body: { app: view(app, deployment) } };
      },
    },
    {
      operation: 'DELETE /v2/apps/{id}',
      async handle(call) {
        const app = appOf(call);
        apps.delete(app.id);
        app.endpoint.route(undefined);
        for (const deployment of app.deployments) {
          await options.runner.stop(deployment, 'CANCELED');
          await options.runner.stopAll(deployment);
        }
        await app.endpoint.close();
        return { status: 200, body: { id: app.id } };
      },
    },
    {
      operation: 'GET /v2/apps/{app_id}/deployments',
      handle(call) {
        const app = appOf(call);
        const newestFirst = [...app.deployments].reverse();
        const page = paginate(newestFirst, call.query, `${options.baseUrl()}/v2/apps/${app.id}/deployments`);
        return {
          status: 200,
          body: { deployments: page.items.map(deploymentView), links: page.links, meta: page.meta },
        };
      },
    },
    {
      operation: 'POST /v2/apps/{app_id}/deployments',
      async handle(call) {
        const app = appOf(call);
        refuseWhilePinned(app);
        const deployment = await deploy(app, app.spec, 'manual');
        return { status: 200, body: { deployment: deploymentView(deployment) } };
      },
    },
    {
      operation: 'GET /v2/apps/{app_id}/deployments/{deployment_id}',
      handle(call) {
        const deployment = deploymentOf(appOf(call), call.params.deployment_id);
        return { status: 200, body: { deployment: deploymentView(deployment) } };
      },
    },
    {
      operation: 'POST /v2/apps/{app_id}/deployments/{deployment_id}/cancel',
      async handle(call) {
        const deployment = deploymentOf(appOf(call), call.params.deployment_id);
        if (deployment !== inProgress(appOf(call)))
          throw new DoError(
            400,
            `deployment is ${deployment.phase.toLowerCase()} and cannot be canceled`,
            'bad_request',
          );
        await options.runner.stop(deployment, 'CANCELED');
        return { status: 200, body: { deployment: deploymentView(deployment) } };
      },
    },
    {
      operation: 'GET /v2/apps/{app_id}/deployments/{deployment_id}/components/{component_name}/logs',
      handle(call) {
        const app = appOf(call);
        const deployment = deploymentOf(app, call.params.deployment_id);
        if (!(deployment.spec.services ?? []).some((service) => service.name === call.params.component_name))
          throw notFound();
        return {
          status: 200,
          body: { historic_urls: [], live_url: `${options.baseUrl()}/logs/${app.id}/${deployment.id}` },
        };
      },
    },
    {
      operation: 'GET /v2/apps/{app_id}/deployments/{deployment_id}/logs',
      handle(call) {
        const app = appOf(call);
        const deployment = deploymentOf(app, call.params.deployment_id);
        return {
          status: 200,
          body: { historic_urls: [], live_url: `${options.baseUrl()}/logs/${app.id}/${deployment.id}` },
        };
      },
    },
    {
      operation: 'POST /v2/apps/{app_id}/rollback/validate',
      handle(call) {
        const app = appOf(call);
        const conditions = rollbackConditions(app, rollbackTarget(app, call.body));
        return {
          status: 200,
          body: {
            valid: !conditions.error,
            ...(conditions.error ? { error: conditions.error } : {}),
            ...(conditions.warnings.length > 0 ? { warnings: conditions.warnings } : {}),
          },
        };
      },
    },
    {
      operation: 'POST /v2/apps/{app_id}/rollback',
      async handle(call) {
        const app = appOf(call);
        const target = rollbackTarget(app, call.body);
        const conditions = rollbackConditions(app, target);
        if (conditions.error) throw new DoError(400, conditions.error.message, 'bad_request');
        const before = app.spec;
        app.spec = structuredClone(target.spec);
        app.updatedAt = options.now();
        const deployment = await deploy(app, target.spec, `rollback to deployment ${target.id}`, target.id);
        if (call.body.skip_pin !== true) {
          app.pinned = deployment;
          app.specBeforeRollback = before;
        }
        return { status: 200, body: { deployment: deploymentView(deployment) } };
      },
    },
    {
      operation: 'POST /v2/apps/{app_id}/rollback/commit',
      handle(call) {
        const app = appOf(call);
        if (!app.pinned)
          throw new DoError(400, 'app has no rollback to commit: it is not pinned', 'bad_request');
        app.pinned = undefined;
        app.specBeforeRollback = undefined;
        return { status: 200 };
      },
    },
    {
      operation: 'POST /v2/apps/{app_id}/rollback/revert',
      async handle(call) {
        const app = appOf(call);
        if (!app.pinned || !app.specBeforeRollback)
          throw new DoError(400, 'app has no rollback to revert: it is not pinned', 'bad_request');
        const spec = app.specBeforeRollback;
        app.pinned = undefined;
        app.specBeforeRollback = undefined;
        app.spec = spec;
        app.updatedAt = options.now();
        const deployment = await deploy(app, spec, 'rollback reverted');
        return { status: 200, body: { deployment: deploymentView(deployment) } };
      },
    },
  ];

  return {
    routes,
    /** Log lines of a deployment, for its log URL. */
    logsOf(appId: string, deploymentId: string): string[] | undefined {
      return apps.get(appId)?.deployments.find((deployment) => deployment.id === deploymentId)?.log;
    },
    async close() {
      for (const app of apps.values()) {
        for (const deployment of app.deployments) await options.runner.stop(deployment, 'CANCELED');
        await Promise.allSettled([...runs]);
        for (const deployment of app.deployments) await options.runner.stopAll(deployment);
        await app.endpoint.close();
      }
      apps.clear();
    },
  };
}
