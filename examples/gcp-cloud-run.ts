/**
 * Deploy hello-agent to Google Cloud Run: image to Artifact Registry, secrets to Secret Manager,
 * a new revision verified on its tag URL before it gets traffic.
 *
 *   GOOGLE_CLOUD_PROJECT=my-project GOOGLE_CLOUD_REGION=europe-west1 pnpm exec tsx examples/gcp-cloud-run.ts
 *   pnpm exec tsx examples/gcp-cloud-run.ts down
 *
 * Credentials are Application Default Credentials (`gcloud auth application-default login`, or a
 * service account key in GOOGLE_APPLICATION_CREDENTIALS). Roles and APIs: docs/providers/gcp.md.
 * The same `main()` runs against the local emulator in packages/provider-gcp/src/example.integration.test.ts.
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
import { type CloudRunOptions, cloudRun } from '@berth/provider-gcp';
import { helloAgentSpec } from './hello-agent/spec.ts';

/** What the example can be told; everything has a default for a real deployment. */
export interface GcpExampleOptions {
  /** `up` (default) or `down`. */
  command?: 'up' | 'down';
  /** Default: env GOOGLE_CLOUD_PROJECT. */
  project?: string;
  /** Default: env GOOGLE_CLOUD_REGION, else `europe-west1`. */
  region?: string;
  /** Extra provider options, e.g. the emulator's endpoint, an auth client and a local registry. */
  provider?: Partial<CloudRunOptions>;
  /** Base image of hello-agent's Dockerfile. Default `node:24-slim`. */
  baseImage?: string;
  /** Where state and history are kept. Default `examples/.deployment`. */
  stateDir?: string;
  onEvent?: (event: BerthEvent) => void;
}

/** Deploy (or remove) hello-agent on Cloud Run and return Berth's result. */
export async function main(options: GcpExampleOptions = {}): Promise<DeployResult | DownResult> {
  const project = options.project ?? process.env.GOOGLE_CLOUD_PROJECT;
  if (!project) throw new Error('Set GOOGLE_CLOUD_PROJECT (or pass `project`) to the project to deploy to.');
  const provider = cloudRun({
    project,
    region: options.region ?? process.env.GOOGLE_CLOUD_REGION ?? 'europe-west1',
    ...options.provider,
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
  try {
    return options.command === 'down' ? await deployer.down(spec) : await deployer.up(spec);
  } finally {
    await provider.close?.();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main({ command: process.argv[2] === 'down' ? 'down' : 'up' });
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.status === 'failed' || result.status === 'rolled-back' ? 1 : 0;
}
