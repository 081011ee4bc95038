/**
 * `@berth/docker/ignore`: Docker's `.dockerignore` matching and nothing else (it loads
 * `@balena/dockerignore` only, never dockerode or tar-fs). The image pipeline filters build contexts
 * with it; `@berth/provider-ssh`'s systemd method filters a service folder (`.berthignore`) with it.
 */
export { type ContextFilter, createContextFilter, filterContextPaths } from '../docker-ignore.js';
