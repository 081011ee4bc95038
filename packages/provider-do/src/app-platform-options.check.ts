// Compile-time proof that the hand-written option type accepts what the schema accepts, field for
// field: `pnpm typecheck` fails when the schema changes and the type does not follow.
import type { z } from 'zod';
import type {
  AppPlatformInjected,
  AppPlatformOptions,
  appPlatformOptionsSchema,
} from './app-platform-options.js';

type Written<T> = Omit<T, keyof AppPlatformInjected>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<Condition extends true> = Condition;

export type AppPlatformOptionsMatchSchema = [
  Assert<Same<Written<AppPlatformOptions>, z.input<typeof appPlatformOptionsSchema>>>,
];
