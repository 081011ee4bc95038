/**
 * A whole `node deploy.ts` process, as examples/hello-agent/deploy.ts is, for the bench's target:
 *
 *   node bench/deploy-process.ts '<BerthBenchTarget as JSON>'
 *
 * Prints the result's status. The bench times the whole process of an unchanged redeploy (`noop`).
 * It imports what a user's deploy.ts does (the packages and the example's spec.ts) and nothing of
 * the bench: Node strips the types of every .ts file it loads.
 */
import { createRequire } from 'node:module';
import { createDeployer, fileStateStore, type ServiceSpecInput } from '@berth/core';
import { dockerImageBuilder } from '@berth/docker';
import { localDocker } from '@berth/provider-ssh';
import { helloAgentSpec } from '../examples/hello-agent/spec.ts';
import type { BerthBenchTarget } from './berth-deploy.ts';

/** hello-agent's spec, built from the target's context (as berth-deploy.ts's `benchSpec`). */
function benchSpec(target: BerthBenchTarget): ServiceSpecInput {
  const spec = helloAgentSpec({ baseImage: target.baseImage, environment: target.environment });
  if (!('build' in spec.image)) throw new Error('hello-agent builds its image');
  return { ...spec, image: { build: { ...spec.image.build, context: target.context } } };
}

const target = JSON.parse(process.argv[2] ?? '{}') as BerthBenchTarget;
const deployer = createDeployer({
  provider: localDocker({
    registry: target.registry,
    hostPort: target.hostPort,
    secretsDir: target.secretsDir,
  }),
  imageBuilder: dockerImageBuilder(),
  state: fileStateStore({ dir: target.stateDir }),
});
const result = await deployer.up(benchSpec(target));
// Second line: the heavy modules this process loaded (dockerode brings docker-modem, ssh2 and gRPC).
const loaded = Object.keys(createRequire(import.meta.url).cache);
const heavy = ['dockerode', 'ssh2', '@grpc', 'protobufjs', 'zod'].filter((name) =>
  loaded.some((path) => path.includes(`/node_modules/${name}/`)),
);
console.log(`${result.status}\n${heavy.join(',') || '-'}`);
process.exitCode = result.status === 'succeeded' || result.status === 'noop' ? 0 : 1;
