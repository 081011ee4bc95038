import type { ImageTarget, ProviderContext, RegistryCredentials } from '@berth/core';
import type Dockerode from 'dockerode';
import { mapDockerError, pushFailedError, redactSecrets } from './map-docker-error.js';
import { readDockerStream, streamErrorMessage } from './read-docker-stream.js';

/** The engine's `X-Registry-Auth` for the credentials (never logged). */
export function toAuthConfig(
  registry: string,
  credentials: RegistryCredentials | undefined,
): Dockerode.AuthConfig | undefined {
  if (!credentials) return undefined;
  return 'identityToken' in credentials
    ? { identitytoken: credentials.identityToken, serveraddress: registry }
    : { username: credentials.username, password: credentials.password, serveraddress: registry };
}

/** The secret strings of the credentials, for redaction. */
export function credentialSecrets(credentials: RegistryCredentials | undefined): string[] {
  if (!credentials) return [];
  return 'identityToken' in credentials ? [credentials.identityToken] : [credentials.password];
}

/** Sums per-layer push progress into one `current/total` in bytes. */
export function createLayerProgress(): {
  update(
    id: string,
    status: string,
    detail?: { current?: number; total?: number },
  ): { current: number; total: number; layers: number };
} {
  const layers = new Map<string, { current: number; total: number }>();
  return {
    update(id, status, detail) {
      const layer = layers.get(id) ?? { current: 0, total: 0 };
      if (detail?.total) layer.total = detail.total;
      if (detail?.current !== undefined)
        layer.current = Math.min(detail.current, layer.total || detail.current);
      if (/^(Pushed|Layer already exists|Mounted from)/.test(status)) layer.current = layer.total;
      layers.set(id, layer);
      let current = 0;
      let total = 0;
      for (const value of layers.values()) {
        current += value.current;
        total += value.total;
      }
      return { current, total, layers: layers.size };
    },
  };
}

/** One tag to push. */
export interface DockerPushInput {
  docker: Dockerode;
  engine: string;
  target: ImageTarget;
  /** The tag of `registry/repository` to push. */
  tag: string;
}

/**
 * Push `registry/repository:tag` with the target's credentials, reporting per-layer bytes as `push`
 * progress. Resolves the manifest digest the engine reports (`aux.Digest`), or `undefined` when it
 * reports none. Errors inside the stream become REGISTRY_AUTH_FAILED or IMAGE_PUSH_FAILED, with
 * every credential redacted.
 */
export async function runDockerPush(
  input: DockerPushInput,
  context: ProviderContext,
): Promise<string | undefined> {
  const { registry, repository, credentials } = input.target;
  const secrets = credentialSecrets(credentials);
  const where = { registry, repository };
  const options: Dockerode.ImagePushOptions = { tag: input.tag, abortSignal: context.signal };
  const authconfig = toAuthConfig(registry, credentials);
  if (authconfig) options.authconfig = authconfig;
  const progress = createLayerProgress();
  let digest: string | undefined;
  try {
    const stream = await input.docker.getImage(`${registry}/${repository}`).push(options);
    for await (const message of readDockerStream(stream)) {
      const error = streamErrorMessage(message);
      if (error !== undefined) throw pushFailedError(redactSecrets(error.trim(), secrets), undefined, where);
      if (typeof message.aux === 'object' && message.aux.Digest) digest = message.aux.Digest;
      if (message.id && message.status) {
        const total = progress.update(message.id, message.status, message.progressDetail);
        context.progress({
          step: 'push',
          message: `Pushing ${registry}/${repository}:${input.tag} (${total.layers} layers)`,
          current: total.current,
          total: total.total,
          unit: 'bytes',
        });
      }
    }
    return digest;
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    throw mapDockerError(error, 'push', input.engine, secrets);
  }
}
