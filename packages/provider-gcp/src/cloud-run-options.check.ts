// Compile-time proof that the hand-written `CloudRunOptions` accepts what `cloudRunOptionsSchema`
// accepts, field for field: `pnpm typecheck` fails when the schema changes and the type does not follow.
import type { z } from 'zod';
import type { CloudRunOptions, cloudRunOptionsSchema } from './cloud-run-options.js';

type Written = Omit<CloudRunOptions, 'authClient' | 'clients'>;
type Schema = z.input<typeof cloudRunOptionsSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<Condition extends true> = Condition;

export type CloudRunOptionsMatchSchema = Assert<Same<Written, Schema>>;
