/**
 * `@berth/provider-local`: deploy to the Docker engine of this machine with `localDocker()`.
 *
 * A re-export of `@berth/provider-ssh`'s `localDocker()`: the local engine and a server over SSH run
 * the same container deploy logic (`hostProvider()` over a Docker transport), so the code lives once,
 * in `@berth/provider-ssh`. This package is where a user looks for it by name
 * (docs/providers/local-docker.md). Importing it loads neither dockerode nor ssh2.
 */
export { type LocalDockerOptions, localDocker } from '@berth/provider-ssh';
