/**
 * hello-agent for the `berth` command line: `npx berth up` in this folder deploys what deploy.ts
 * deploys (same spec, same state in ./.deployment), with `npx berth local|plan|status|history|down`.
 */
import { defineConfig } from '@berth/cli';
import { helloAgentSpec, localEnvironment } from './spec.ts';

const {
  name: _name,
  environment: _environment,
  ...spec
} = helloAgentSpec({ baseImage: localEnvironment().baseImage });

export default defineConfig({
  targets: { local: { kind: 'local-docker', options: {} } },
  services: {
    'hello-agent': {
      // A config file names secrets by reference or generation only (the spec type also allows values).
      spec: {
        ...spec,
        secrets: {
          SUPERVAIZER_API_KEY: { generate: 'api-key' },
          SV_RSA_PRIVATE_KEY: { generate: 'rsa-private-key' },
        },
      },
      environments: { prod: { env: { SV_LOG_LEVEL: 'WARNING' }, resources: { memory: '512Mi' } } },
    },
  },
});
