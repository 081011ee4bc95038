/**
 * Static AWS credentials as a config gives them: every field by reference (`{ fromEnv }` /
 * `{ fromFile }`), resolved before the provider is built. Without `credentials`, the AWS SDK's
 * default chain applies (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`…, SSO, web identity, instance role).
 */
import { ValidationError } from '@berth/core';
import { z } from 'zod';

const schema = z.strictObject({
  /** The access key id, e.g. `{ fromEnv: "AWS_ACCESS_KEY_ID" }`. */
  accessKeyId: z.string().min(1),
  /** The secret access key, e.g. `{ fromEnv: "AWS_SECRET_ACCESS_KEY" }`. */
  secretAccessKey: z.string().min(1),
  /** A session token of temporary credentials, e.g. `{ fromEnv: "AWS_SESSION_TOKEN" }`. */
  sessionToken: z.string().min(1).optional(),
});

/** Resolved static credentials. */
export type AwsStaticCredentials = z.output<typeof schema>;

/** Check resolved credentials; a `ValidationError` naming `credentials.<field>` otherwise. Pure. */
export const awsCredentialsSchema = {
  parse(value: unknown): AwsStaticCredentials {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    throw new ValidationError(
      result.error.issues.map((issue) => ({
        path: ['credentials', ...issue.path.map(String)].join('.'),
        message:
          issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.message,
        hint: 'Give { accessKeyId, secretAccessKey, sessionToken? }, each as { fromEnv: "NAME" } or { fromFile: "path" }; or leave credentials out to use the AWS default chain.',
      })),
    );
  },
};
