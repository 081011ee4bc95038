import dockerignoreModule from '@balena/dockerignore';

// A CommonJS module typed as ESM: under NodeNext its factory is on `.default` (which it also sets at run time).
const dockerignore = dockerignoreModule.default;

/** Decides which paths of a build context are sent to the engine, with Docker's `.dockerignore` rules. */
export interface ContextFilter {
  /** True when the path (relative, `/`-separated) is excluded from the context. */
  ignores(path: string): boolean;
  /**
   * True when an excluded directory must still be walked, because an exception (`!pattern`) or an
   * always-sent file may re-include something inside it.
   */
  mayIncludeInside(directory: string): boolean;
}

/**
 * Build the filter from the `.dockerignore` text (empty when there is none). Matching is
 * case-sensitive, like Docker. Paths in `alwaysSend` (the Dockerfile and `.dockerignore`) are sent
 * even when a pattern excludes them, as the Docker CLI does.
 */
export function createContextFilter(dockerignoreText: string, alwaysSend: readonly string[]): ContextFilter {
  const matcher = dockerignore({ ignorecase: false }).add(dockerignoreText);
  const hasExceptions = dockerignoreText.split(/\r?\n/).some((line) => line.trim().startsWith('!'));
  const always = new Set(alwaysSend);
  return {
    ignores: (path) => !always.has(path) && matcher.ignores(path),
    mayIncludeInside: (directory) =>
      hasExceptions || [...always].some((path) => path.startsWith(`${directory}/`)),
  };
}

/** The paths of `paths` that are sent to the engine (pure; used by tests and by callers that list files). */
export function filterContextPaths(
  paths: readonly string[],
  dockerignoreText: string,
  alwaysSend: readonly string[],
): string[] {
  const filter = createContextFilter(dockerignoreText, alwaysSend);
  return paths.filter((path) => !filter.ignores(path));
}
