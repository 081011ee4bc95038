// Compile-time proof that the hand-written option types accept what the schemas accept, field for
// field: `pnpm typecheck` fails when a schema changes and its type does not follow.
import type { z } from 'zod';
import type { AppRunnerOptions, appRunnerOptionsSchema } from './app-runner/app-runner-options.js';
import type { AwsInjected, AwsSharedOptionsInput, awsSharedOptionsSchema } from './aws-options.js';
import type { EcsExpressOptions, ecsExpressOptionsSchema } from './ecs-express/ecs-express-options.js';

type Written<T> = Omit<T, keyof AwsInjected>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<Condition extends true> = Condition;

export type AwsOptionsMatchSchemas = [
  Assert<Same<Written<AwsSharedOptionsInput>, z.input<typeof awsSharedOptionsSchema>>>,
  Assert<Same<Written<AppRunnerOptions>, z.input<typeof appRunnerOptionsSchema>>>,
  Assert<Same<Written<EcsExpressOptions>, z.input<typeof ecsExpressOptionsSchema>>>,
];
