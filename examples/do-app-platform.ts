/**
 * Deploy hello-agent to DigitalOcean App Platform: image pushed to DigitalOcean Container Registry
 * and deployed by digest, secrets as App Platform SECRET envs (encrypted by App Platform, never
 * resent while unchanged), generated secrets kept encrypted with BERTH_DO_SECRETS_KEY in the
 * registry, App Platform's own rollback reported, manual rollbacks through its rollback API.
 *
 *   DIGITALOCEAN_TOKEN=dop_v1_… DOCR_REGISTRY=my-registry BERTH_DO_SECRETS_KEY=$(openssl rand -base64 32) \
 *   DO_REGION=fra pnpm exec tsx examples/do-app-platform.ts
 *   pnpm exec tsx examples/do-app-platform.ts down
 *
 * Keep BERTH_DO_SECRETS_KEY (e.g. as a CI secret): the same key must deploy the service every time.
 * Token scopes and the secret model: docs/providers/do.md. The same `main()` runs against the local
 * emulator in packages/provider-do/src/example.integration.test.ts.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BerthEvent,
  createDeployer,
  type DeployResult,
  type DownResult,
  fileStateStore,
} from '@berth/core';
import { dockerImageBuilder } from '@berth/docker';
import { type AppPlatformOptions, appPlatform } from '@berth/provider-do';
import { helloAgentSpec } from './hello-agent/spec.ts';

/** What the example can be told; everything has a default for a real deployment. */
export interface DoExampleOptions {
  /** `up` (default) or `down`. */
  command?: 'up' | 'down';
  /** Extra provider options, e.g. the emulator's endpoint and a local registry. */
  provider?: Partial<AppPlatformOptions>;
  /** Base image of hello-agent's Dockerfile. Default `node:24-slim`. */
  baseImage?: string;
  /** Where state and history are kept. Default `examples/.deployment`. */
  stateDir?: string;
  onEvent?: (event: BerthEvent) => void;
}

/** Deploy (or remove) hello-agent on App Platform and return Berth's result. */
export async function main(options: DoExampleOptions = {}): Promise<DeployResult | DownResult> {
  const token = options.provider?.token ?? process.env.DIGITALOCEAN_TOKEN;
  if (!token)
    throw new Error('Set DIGITALOCEAN_TOKEN (a token with read and write access to apps and the registry).');
  const registryName = options.provider?.registry?.name ?? process.env.DOCR_REGISTRY;
  if (!registryName) throw new Error('Set DOCR_REGISTRY (the name of your DigitalOcean Container Registry).');
  const secretsKey = options.provider?.secretsKey ?? process.env.BERTH_DO_SECRETS_KEY;
  const provider = appPlatform({
    ...options.provider,
    token,
    region:
      options.provider?.region ??
      (process.env.DO_REGION as AppPlatformOptions['region'] | undefined) ??
      'fra',
    registry: { ...options.provider?.registry, name: registryName },
    ...(secretsKey ? { secretsKey } : {}),
  });
  const deployer = createDeployer({
    provider,
    imageBuilder: dockerImageBuilder(),
    state: fileStateStore({
      dir: options.stateDir ?? fileURLToPath(new URL('./.deployment', import.meta.url)),
    }),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const spec = helloAgentSpec({ baseImage: options.baseImage ?? 'node:24-slim' });
  return options.command === 'down' ? deployer.down(spec) : deployer.up(spec);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main({ command: process.argv[2] === 'down' ? 'down' : 'up' });
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.status === 'failed' || result.status === 'rolled-back' ? 1 : 0;
}
