/**
 * Deploy hello-agent to the local Docker engine through Berth's public API.
 *
 *   node examples/hello-agent/deploy.ts            deploy (run it twice: the second is a quick noop)
 *   node examples/hello-agent/deploy.ts plan       show what a deploy would change
 *   node examples/hello-agent/deploy.ts status     live state, health and drift
 *   node examples/hello-agent/deploy.ts history    every deploy, rollback and promotion
 *   node examples/hello-agent/deploy.ts fail       deploy a broken build: Berth rolls back
 *   node examples/hello-agent/deploy.ts down       remove the containers and owned secrets
 */
import { fileURLToPath } from 'node:url';
import { createDeployer, fileStateStore } from '@berth/core';
import { dockerImageBuilder } from '@berth/docker';
import { localDocker } from '@berth/provider-local';
import { printEvents, printPlan, printResult } from './print-events.ts';
import { helloAgentSpec, localEnvironment } from './spec.ts';

const command = process.argv[2] ?? 'up';
const local = localEnvironment();
const deployer = createDeployer({
  provider: localDocker({ ...(local.registry ? { registry: local.registry } : {}) }),
  imageBuilder: dockerImageBuilder(),
  state: fileStateStore({ dir: fileURLToPath(new URL('./.deployment', import.meta.url)) }),
  onEvent: printEvents(),
});
const spec = helloAgentSpec({ baseImage: local.baseImage, broken: command === 'fail' });

switch (command) {
  case 'up':
  case 'fail': {
    const result = await deployer.up(spec);
    printResult(result);
    process.exitCode = result.status === 'succeeded' || result.status === 'noop' ? 0 : 1;
    if (command === 'fail' && result.status === 'rolled-back') process.exitCode = 0;
    break;
  }
  case 'plan':
    printPlan(await deployer.plan(spec));
    break;
  case 'status':
    console.log(JSON.stringify(await deployer.status(spec), null, 2));
    break;
  case 'history':
    for (const entry of await deployer.history(spec))
      console.log(
        `${entry.endedAt}  ${entry.kind.padEnd(9)} ${entry.status.padEnd(15)} ${entry.revision ?? ''}${entry.error ? `  ${entry.error.code}` : ''}`,
      );
    break;
  case 'down':
    console.log(JSON.stringify(await deployer.down(spec), null, 2));
    break;
  default:
    console.error(`unknown command ${command}; use up, plan, status, history, fail or down`);
    process.exitCode = 2;
}
