import { z } from 'zod';
import {
  type AwsInjected,
  type AwsSharedOptionsInput,
  awsSharedOptionsSchema,
  roleArnSchema,
} from '../aws-options.js';

/** Options of `appRunner()`: the single source of truth for validation and docs. */
export const appRunnerOptionsSchema = awsSharedOptionsSchema
  .extend({
    /** Role App Runner assumes to pull from private ECR (trusts `build.apprunner.amazonaws.com`). */
    accessRoleArn: roleArnSchema,
    /** Role the instances run as; needs `secretsmanager:GetSecretValue` on the service's secrets when it has any. */
    instanceRoleArn: roleArnSchema.optional(),
    /** An auto scaling configuration to use (App Runner's default otherwise). */
    autoScalingConfigurationArn: z.string().startsWith('arn:').optional(),
    /** Failed health checks in a row before App Runner gives up on an instance (1–20). Default 5. */
    unhealthyThreshold: z.number().int().min(1).max(20).default(5),
    /** How long `apply` waits for another operation on the service before `PROVIDER_BUSY`. Default 60 s. */
    busyTimeoutMs: z.number().int().min(0).default(60_000),
  })
  .strict();

/** The options of `appRunner()` as written by the caller (checked against the schema in `../aws-options.check.ts`). */
export interface AppRunnerOptions extends AwsSharedOptionsInput {
  /** Role App Runner assumes to pull from private ECR (trusts `build.apprunner.amazonaws.com`). */
  accessRoleArn: string;
  /** Role the instances run as; needs `secretsmanager:GetSecretValue` on the service's secrets when it has any. */
  instanceRoleArn?: string | undefined;
  /** An auto scaling configuration to use (App Runner's default otherwise). */
  autoScalingConfigurationArn?: string | undefined;
  /** Failed health checks in a row before App Runner gives up on an instance (1–20). Default 5. */
  unhealthyThreshold?: number | undefined;
  /** How long `apply` waits for another operation on the service before `PROVIDER_BUSY`. Default 60 s. */
  busyTimeoutMs?: number | undefined;
}
/** Validated options. */
export type ResolvedAppRunnerOptions = z.output<typeof appRunnerOptionsSchema> & AwsInjected;
