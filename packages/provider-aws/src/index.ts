/**
 * `@berth/provider-aws`: deploy to AWS App Runner (`appRunner()`) or Amazon ECS Express Mode
 * (`ecsExpress()`), with images in ECR and secrets in Secrets Manager, through the official AWS SDK
 * v3 clients. The local emulator is `@berth/emulator-aws`.
 */
export type { AppRunnerOptions } from './app-runner/app-runner-options.js';
export { appRunner } from './app-runner/app-runner-provider.js';
export type { AwsClients } from './aws-clients.js';
export type { AwsInjected, AwsSharedOptionsInput } from './aws-options.js';
export type { EcsExpressOptions } from './ecs-express/ecs-express-options.js';
export { ecsExpress } from './ecs-express/ecs-express-provider.js';
