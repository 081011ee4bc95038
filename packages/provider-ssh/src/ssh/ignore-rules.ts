/**
 * `.berthignore` / `.dockerignore` matching for the systemd method's service folder, with Docker's
 * rules: the same matcher and the same semantics as `@berth/core/docker`'s `createContextFilter`
 * (ignore-rules.test.ts checks they agree). It is its own module so that reading a service folder
 * does not load `@berth/core/docker`, and with it dockerode, which the systemd method never uses.
 */
import dockerignoreModule from '@balena/dockerignore';

// A CommonJS module typed as ESM: under NodeNext its factory is on `.default` (which it also sets at run time).
const dockerignore = dockerignoreModule.default;

/** Which paths of a folder are left out. */
export interface IgnoreFilter {
  /** True when the path (relative, `/`-separated) is left out. */
  ignores(path: string): boolean;
  /** True when a left-out folder must still be walked: an exception or an always-sent file may be inside. */
  mayIncludeInside(directory: string): boolean;
}

/** The filter of the rules in `ignoreText`; paths in `alwaysSend` are never left out. */
export function createIgnoreFilter(ignoreText: string, alwaysSend: readonly string[]): IgnoreFilter {
  const matcher = dockerignore({ ignorecase: false }).add(ignoreText);
  const hasExceptions = ignoreText.split(/\r?\n/).some((line) => line.trim().startsWith('!'));
  const always = new Set(alwaysSend);
  return {
    ignores: (path) => !always.has(path) && matcher.ignores(path),
    mayIncludeInside: (directory) =>
      hasExceptions || [...always].some((path) => path.startsWith(`${directory}/`)),
  };
}
