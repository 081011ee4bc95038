/**
 * `@berth/provider-aws`: deploy to AWS App Runner (`appRunner()`) or Amazon ECS Express Mode
 * (`ecsExpress()`), with images in ECR and secrets in Secrets Manager, through the official AWS SDK
 * v3 clients. The local emulator is `@berth/emulator-aws`.
 */

export { type AppRunnerOptions, appRunnerOptionsSchema } from './app-runner/app-runner-options.js';
export { appRunner } from './app-runner/app-runner-provider.js';
export {
  buildHealthCheck,
  buildServiceConfiguration,
  buildSourceConfiguration,
} from './app-runner/build-app-runner-request.js';
export { readAppRunnerService } from './app-runner/read-app-runner-service.js';
export { validateAppRunnerSpec } from './app-runner/validate-app-runner-spec.js';
export { type AwsClients, createAwsClients } from './aws-clients.js';
export { type AwsInjected, awsSharedOptionsSchema } from './aws-options.js';
export {
  buildExpressConfiguration,
  buildPrimaryContainer,
  buildScalingTarget,
} from './ecs-express/build-express-request.js';
export { type EcsExpressOptions, ecsExpressOptionsSchema } from './ecs-express/ecs-express-options.js';
export { ecsExpress } from './ecs-express/ecs-express-provider.js';
export { readExpressService } from './ecs-express/read-express-service.js';
export { validateExpressSpec } from './ecs-express/validate-express-spec.js';
export { awsErrorName, isThrottlingError, isTransientAwsError, mapAwsError } from './map-aws-error.js';
