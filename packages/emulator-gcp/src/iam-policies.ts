import { randomBytes } from 'node:crypto';
import { invalidArgument, type JsonObject, RpcError } from './rpc/rpc-error.js';

/** `ACAB` is the etag Google IAM returns for a resource that never had a policy. */
const emptyEtag = 'ACAB';
const memberPattern =
  /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+)$/;

interface StoredPolicy {
  version: number;
  bindings: { role: string; members: string[] }[];
  etag: string;
}

/** IAM policies per resource (`getIamPolicy` / `setIamPolicy`), with read-modify-write etags. */
export class IamPolicies {
  private readonly policies = new Map<string, StoredPolicy>();

  get(resource: string): JsonObject {
    const policy = this.policies.get(resource);
    if (!policy) return { etag: emptyEtag };
    return { version: policy.version, bindings: policy.bindings, etag: policy.etag };
  }

  /** Replace the policy. A stale `etag` fails with ABORTED, like the real IAM front end. */
  set(resource: string, policy: JsonObject): JsonObject {
    const current = this.policies.get(resource);
    const etag = typeof policy.etag === 'string' ? policy.etag : '';
    if (etag && etag !== (current?.etag ?? emptyEtag))
      throw new RpcError(
        'ABORTED',
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
      );
    const bindings = ((policy.bindings as JsonObject[] | undefined) ?? []).map((binding, index) => {
      const role = String(binding.role ?? '');
      if (
        !/^(roles\/[A-Za-z0-9_.]+|projects\/[^/]+\/roles\/[A-Za-z0-9_.]+|organizations\/\d+\/roles\/[A-Za-z0-9_.]+)$/.test(
          role,
        )
      )
        throw invalidArgument(`policy.bindings[${index}].role`, `Role ${role} is not valid.`);
      const members = (binding.members as string[] | undefined) ?? [];
      for (const member of members)
        if (!memberPattern.test(member))
          throw invalidArgument(`policy.bindings[${index}].members`, `Invalid principal: ${member}.`);
      return { role, members: [...new Set(members)] };
    });
    const stored: StoredPolicy = {
      version: Number(policy.version ?? 1) || 1,
      bindings: bindings.filter((binding) => binding.members.length > 0),
      etag: randomBytes(8).toString('base64'),
    };
    this.policies.set(resource, stored);
    return this.get(resource);
  }

  /** True when `role` is granted to `member` on `resource`. */
  grants(resource: string, role: string, member: string): boolean {
    return (
      this.policies
        .get(resource)
        ?.bindings.some((binding) => binding.role === role && binding.members.includes(member)) ?? false
    );
  }

  delete(resource: string): void {
    this.policies.delete(resource);
  }
}
