/**
 * Every error code Berth raises, with the default hint shown to the user. `docs/errors.md` lists each
 * one (a test keeps the two in step). Codes are stable: tools and agents branch on them.
 */
export const errorCodes = {
  SPEC_INVALID: 'Fix the fields listed in `issues`; each names the field and what it accepts.',
  SECRET_SOURCE_MISSING:
    'Set the environment variable or create the file the secret reads from, or change its source.',
  PROVIDER_OPTIONS_INVALID:
    "Fix the provider's options named in `details.issues`; see the provider's page in docs/providers/.",
  PROVIDER_CONTRACT_INVALID:
    'The provider object does not follow `specificationVersion: "v1"`; see docs/writing-a-provider.md.',
  PREFLIGHT_FAILED: 'Fix the failed checks listed in `details.checks`; each has its own hint.',
  LOCK_HELD:
    'Another deploy of this service is running; wait for it to finish, or check the owner named in the message.',
  LOCK_LOST:
    'Another run took over this lock after it expired; nothing more was written. Check the service with `status()` and run again.',
  STATE_CORRUPT:
    'The state file could not be read; restore it from a backup or remove it (the next deploy re-observes the live service).',
  STATE_VERSION_UNSUPPORTED: 'The state was written by a newer Berth; upgrade @berth/core.',
  STATE_CONFLICT:
    'The state changed under this write (history can only be appended to); read it again and retry.',
  STATE_STORE_UNAVAILABLE:
    'The state store (database or bucket) could not be reached or is overloaded; check it and retry.',
  IMAGE_BUILDER_MISSING:
    "This spec builds an image: pass `imageBuilder` (e.g. `dockerImageBuilder()` from '@berth/docker').",
  IMAGE_BUILD_FAILED: 'Read the build output in `details`; fix the Dockerfile or the build context.',
  IMAGE_PUSH_FAILED:
    'Check that the registry is reachable and that the credentials may push to this repository.',
  REGISTRY_AUTH_FAILED:
    'The registry refused the credentials; check the username and password or token the provider supplies.',
  IMAGE_NOT_FOUND: 'Check the image reference, or build it first.',
  DOCKER_UNAVAILABLE:
    'Start the Docker engine (e.g. `dockerd &` or `systemctl start docker`) or set DOCKER_HOST.',
  PROVIDER_REQUEST_FAILED: 'The provider API returned an error; see `cause` for its response.',
  PROVIDER_UNAVAILABLE: 'The provider API could not be reached or is overloaded; retry later.',
  PROVIDER_PERMISSION_DENIED: 'The credentials lack a permission; grant the role named in the message.',
  PROVIDER_NOT_FOUND: 'A resource the provider expected does not exist; check names, project and region.',
  PROVIDER_CONFLICT: 'The resource is being changed by another operation; wait and retry.',
  PROVIDER_BUSY:
    'The platform is still running another operation on this service (named in the message); retry when it ends.',
  PROVIDER_QUOTA_EXCEEDED: 'A quota or rate limit was hit; wait, or raise the quota.',
  PROVIDER_API_DISABLED: 'Enable the API named in the message for this project.',
  PROVIDER_CAPABILITY_MISSING:
    'This provider does not support the operation; see its docs for what it supports.',
  DEPLOY_FAILED: 'See `cause` and the phase that failed in `phases`.',
  HEALTH_CHECK_FAILED:
    'The service did not pass its health checks; read `health.attempts`, the service logs, and the health path and port.',
  ROLLBACK_FAILED:
    'The rollback did not restore a healthy revision; inspect the service by hand and run `rollback` with `to`.',
  NO_HEALTHY_REVISION: 'No earlier revision passed verification, so there is nothing to roll back to.',
  REVISION_NOT_FOUND: 'Pick a revision from `history()` or the provider\u2019s revision list.',
  PROMOTION_SOURCE_NOT_HEALTHY:
    'Deploy and verify the source environment first; promotion only copies a verified, live image.',
  HOOK_FAILED: 'A hook failed; see `cause`. Change the hook or its `onFailure` policy.',
  DEPLOY_ABORTED: 'The run was aborted by its AbortSignal; run `up` again to converge.',
  DEPLOY_TIMEOUT: 'The run passed its `timeoutMs`; raise it, or look at the slow phase in `phases`.',
  SSH_AUTH_FAILED:
    'The SSH server refused the key: check the user, that the public key is in its authorized_keys, and the key file or agent you pass.',
  SSH_HOST_KEY_MISMATCH:
    "The SSH server's host key differs from the pinned one: verify the server's key out of band (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on it) before changing the pin.",
  SSH_HOST_KEY_UNKNOWN:
    "The SSH server's host key is not pinned: pass `hostKey: 'SHA256:…'`, a `knownHostsPath` that lists it, or `trustOnFirstUse: true` to record it once.",
  SSH_UNREACHABLE:
    'The SSH server did not answer: check the host, the port, the firewall and that sshd runs.',
  SSH_COMMAND_FAILED: 'A command on the host failed; read `details.exitCode` and `details.stderr`.',
  SSH_TRANSFER_FAILED:
    'Copying files to the host failed; check free disk space and the permissions of the base folder on the host.',
} as const;

/** A stable error code; see `docs/errors.md`. */
export type ErrorCode = keyof typeof errorCodes;
