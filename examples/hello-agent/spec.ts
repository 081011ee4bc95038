import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceSpecInput } from '@berth/core';

/** Where the test environment script (`scripts/test-env.sh`) wrote its registry and base images. */
export interface LocalEnvironment {
  registry?: { host: string; username: string; password: string };
  baseImage: string;
}

/** Read the local registry and base image: env vars first, then `.berth-test-env.json`, else public defaults. */
export function localEnvironment(): LocalEnvironment {
  const file =
    process.env.BERTH_TEST_ENV_FILE ?? fileURLToPath(new URL('../../.berth-test-env.json', import.meta.url));
  let fromFile: { registry?: LocalEnvironment['registry']; images?: { node?: string } } = {};
  try {
    fromFile = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // No test environment: use a public base image and keep images in the local engine.
  }
  const registry = process.env.BERTH_REGISTRY_HOST
    ? {
        host: process.env.BERTH_REGISTRY_HOST,
        username: process.env.BERTH_REGISTRY_USERNAME ?? '',
        password: process.env.BERTH_REGISTRY_PASSWORD ?? '',
      }
    : fromFile.registry;
  return {
    ...(registry ? { registry } : {}),
    baseImage: process.env.BERTH_BASE_IMAGE ?? fromFile.images?.node ?? 'node:24-slim',
  };
}

/** The hello-agent service spec, as the seed RFC's server contract wants it. */
export function helloAgentSpec(options: {
  baseImage: string;
  environment?: string;
  broken?: boolean;
  port?: number;
}): ServiceSpecInput {
  const port = options.port ?? 8000;
  const environment = options.environment ?? 'dev';
  return {
    name: 'hello-agent',
    environment,
    image: {
      build: {
        context: fileURLToPath(new URL('./app', import.meta.url)),
        args: { BASE_IMAGE: options.baseImage },
      },
    },
    port,
    env: {
      SUPERVAIZER_ENVIRONMENT: environment,
      SUPERVAIZER_HOST: '0.0.0.0',
      SUPERVAIZER_PORT: String(port),
      SV_LOG_LEVEL: 'INFO',
      ...(options.broken ? { HELLO_AGENT_FAIL_HEALTH: '1' } : {}),
    },
    secrets: {
      SUPERVAIZER_API_KEY: { generate: 'api-key' },
      SV_RSA_PRIVATE_KEY: { generate: 'rsa-private-key' },
    },
    publicUrlEnv: 'SUPERVAIZER_PUBLIC_URL',
    health: {
      path: '/.well-known/health',
      checks: [
        {
          name: 'agents',
          path: '/agents/health',
          headers: { 'X-API-Key': { secret: 'SUPERVAIZER_API_KEY' } },
        },
        { name: 'rsa key loaded', path: '/.well-known/health', json: { status: 'ok', rsa: 'rsa-2048' } },
        { name: 'docs', path: '/docs', bodyContains: '/.well-known/health' },
      ],
      timeoutMs: options.broken ? 8_000 : 60_000,
      intervalMs: 200,
      maxIntervalMs: 1_000,
    },
  };
}
