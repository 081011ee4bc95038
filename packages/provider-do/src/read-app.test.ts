import { describe, expect, it } from 'vitest';
import type { App, AppSpec } from './do-raw-api.js';
import { readApp } from './read-app.js';

const specOf = (revision: string, greeting: string): AppSpec => ({
  name: 'hello-dev',
  region: 'fra',
  services: [
    {
      name: 'hello',
      image: { registry_type: 'DOCR', repository: 'hello-dev', digest: `sha256:${revision}` },
      http_port: 8000,
      instance_size_slug: 'apps-s-1vcpu-1gb',
      instance_count: 2,
      envs: [
        { key: 'GREETING', value: greeting, scope: 'RUN_TIME', type: 'GENERAL' },
        { key: 'API_KEY', value: 'EV[1:abc:def]', scope: 'RUN_TIME', type: 'SECRET' },
      ],
    },
  ],
  envs: [
    { key: 'BERTH_REVISION', value: revision, scope: 'BUILD_TIME', type: 'GENERAL' },
    {
      key: 'BERTH_SECRET_FINGERPRINTS',
      value: '{"API_KEY":"hmac-sha256:k"}',
      scope: 'BUILD_TIME',
      type: 'GENERAL',
    },
  ],
});
const docr = { host: 'registry.digitalocean.com', registry: 'acme' };

describe('readApp', () => {
  it('reports what the active deployment runs, with fingerprints and never the ciphertext', () => {
    const app: App = {
      id: 'app-1',
      spec: specOf('0002-bbbbb', 'failed'),
      live_url: 'https://hello-dev-x.ondigitalocean.app',
      active_deployment: { id: 'd-1', phase: 'ACTIVE', spec: specOf('0001-aaaaa', 'hi') },
    };
    expect(readApp(app, docr)).toEqual({
      service: 'hello-dev',
      url: 'https://hello-dev-x.ondigitalocean.app',
      revision: '0001-aaaaa',
      image: {
        ref: 'registry.digitalocean.com/acme/hello-dev@sha256:0001-aaaaa',
        digest: 'sha256:0001-aaaaa',
      },
      port: 8000,
      env: { GREETING: 'hi' },
      secrets: { API_KEY: { ref: 'app-platform:env/API_KEY', fingerprint: 'hmac-sha256:k' } },
      resources: { minInstances: 2 },
      public: true,
      provider: { region: 'fra', instanceSize: 'apps-s-1vcpu-1gb' },
      ready: true,
      data: { appId: 'app-1', deploymentId: 'd-1' },
    });
  });

  it('has no URL and is not ready before a first deployment is active; busy while one runs', () => {
    const app: App = {
      id: 'app-1',
      spec: specOf('0001-aaaaa', 'hi'),
      in_progress_deployment: { id: 'd-1', phase: 'DEPLOYING', created_at: '2026-01-01T00:00:00Z' },
    };
    const observed = readApp(app, docr);
    expect(observed.url).toBeUndefined();
    expect(observed.ready).toBe(false);
    expect(observed.busy).toEqual({ operation: 'deployment d-1 (DEPLOYING)', since: '2026-01-01T00:00:00Z' });
  });
});
