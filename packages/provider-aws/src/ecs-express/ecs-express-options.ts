import { z } from 'zod';
import {
  type AwsInjected,
  type AwsSharedOptionsInput,
  awsSharedOptionsSchema,
  roleArnSchema,
} from '../aws-options.js';

/** Options of `ecsExpress()`: the single source of truth for validation and docs. */
export const ecsExpressOptionsSchema = awsSharedOptionsSchema
  .extend({
    /** Task execution role: pulls the image from ECR and reads the secrets (`ecsTaskExecutionRole`). */
    executionRoleArn: roleArnSchema,
    /** Infrastructure role Express uses to manage the load balancer, target groups and scaling. */
    infrastructureRoleArn: roleArnSchema,
    /** Role the application runs as. Default: none. */
    taskRoleArn: roleArnSchema.optional(),
    /** ECS cluster. Default `default` (Express creates it when missing). */
    cluster: z.string().min(1).max(255).default('default'),
    /** `X86_64` (default) or `ARM64`. */
    cpuArchitecture: z.enum(['X86_64', 'ARM64']).default('X86_64'),
  })
  .strict();

/** The options of `ecsExpress()` as written by the caller (checked against the schema in `../aws-options.check.ts`). */
export interface EcsExpressOptions extends AwsSharedOptionsInput {
  /** Task execution role: pulls the image from ECR and reads the secrets (`ecsTaskExecutionRole`). */
  executionRoleArn: string;
  /** Infrastructure role Express uses to manage the load balancer, target groups and scaling. */
  infrastructureRoleArn: string;
  /** Role the application runs as. Default: none. */
  taskRoleArn?: string | undefined;
  /** ECS cluster. Default `default` (Express creates it when missing). */
  cluster?: string | undefined;
  /** `X86_64` (default) or `ARM64`. */
  cpuArchitecture?: 'X86_64' | 'ARM64' | undefined;
}
/** Validated options. */
export type ResolvedEcsExpressOptions = z.output<typeof ecsExpressOptionsSchema> & AwsInjected;
