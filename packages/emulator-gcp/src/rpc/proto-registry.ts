import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { compilePathTemplate, type PathTemplate } from './path-template.js';

/** The three Google APIs the emulator speaks. */
export type ApiName =
  | 'run.googleapis.com'
  | 'secretmanager.googleapis.com'
  | 'artifactregistry.googleapis.com';

/** One HTTP binding of an RPC (`google.api.http` or one of its `additional_bindings`). */
export interface HttpBinding {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: PathTemplate;
  /** `*` (whole body is the request), a field name, or absent (no body). */
  body?: string;
}

/** An RPC with its request and response types and HTTP bindings. */
export interface RpcMethod {
  /** e.g. `google.cloud.run.v2.Services.CreateService`. */
  fullName: string;
  /** e.g. `CreateService`. */
  name: string;
  api: ApiName;
  requestType: protobuf.Type;
  responseType: protobuf.Type;
  bindings: HttpBinding[];
}

const require = createRequire(import.meta.url);

const apiSources: {
  api: ApiName;
  protos: string;
  services: string[];
  operations?: Record<string, HttpRule>;
}[] = [
  {
    api: 'run.googleapis.com',
    protos: '@google-cloud/run/build/protos/protos.json',
    services: ['google.cloud.run.v2.Services', 'google.cloud.run.v2.Revisions'],
    // Cloud Run's operation bindings are not in its protos; these are the ones its client sends.
    operations: {
      GetOperation: { get: '/v2/{name=projects/*/locations/*/operations/*}' },
      ListOperations: { get: '/v2/{name=projects/*/locations/*}/operations' },
      WaitOperation: { post: '/v2/{name=projects/*/locations/*/operations/*}:wait', body: '*' },
      DeleteOperation: { delete: '/v2/{name=projects/*/locations/*/operations/*}' },
    },
  },
  {
    api: 'secretmanager.googleapis.com',
    protos: '@google-cloud/secret-manager/build/protos/protos.json',
    services: ['google.cloud.secretmanager.v1.SecretManagerService'],
  },
  {
    api: 'artifactregistry.googleapis.com',
    protos: '@google-cloud/artifact-registry/build/protos/protos.json',
    services: ['google.devtools.artifactregistry.v1.ArtifactRegistry'],
    operations: { GetOperation: { get: '/v1/{name=projects/*/locations/*/operations/*}' } },
  },
];

interface HttpRule {
  get?: string;
  post?: string;
  patch?: string;
  delete?: string;
  put?: string;
  body?: string;
  additional_bindings?: HttpRule | HttpRule[];
}

function bindingsOf(rule: HttpRule): HttpBinding[] {
  const bindings: HttpBinding[] = [];
  for (const verb of ['get', 'post', 'patch', 'delete', 'put'] as const) {
    const template = rule[verb];
    if (template)
      bindings.push({
        method: verb.toUpperCase() as HttpBinding['method'],
        path: compilePathTemplate(template),
        ...(rule.body ? { body: rule.body } : {}),
      });
  }
  const additional = rule.additional_bindings;
  for (const extra of Array.isArray(additional) ? additional : additional ? [additional] : [])
    bindings.push(...bindingsOf(extra));
  return bindings;
}

function httpRuleOf(method: protobuf.Method): HttpRule | undefined {
  for (const option of method.parsedOptions ?? []) {
    const rule = (option as Record<string, unknown>)['(google.api.http)'];
    if (rule) return rule as HttpRule;
  }
  return undefined;
}

/** The loaded protos of the three APIs, with every RPC that has an HTTP binding. */
export interface ProtoRegistry {
  methods: RpcMethod[];
  /** The root a type URL resolves in, for `google.protobuf.Any`. */
  lookupType(api: ApiName, typeName: string): protobuf.Type | undefined;
  root(api: ApiName): protobuf.Root;
}

let cached: ProtoRegistry | undefined;

/** Load (once) the protos shipped with the official clients, so routes and types match them exactly. */
export function loadProtoRegistry(): ProtoRegistry {
  if (cached) return cached;
  const roots = new Map<ApiName, protobuf.Root>();
  const methods: RpcMethod[] = [];
  for (const source of apiSources) {
    const root = protobuf.Root.fromJSON(require(source.protos) as protobuf.INamespace);
    root.resolveAll();
    roots.set(source.api, root);
    for (const serviceName of source.services) {
      const service = root.lookupService(serviceName);
      for (const method of service.methodsArray) {
        const rule = httpRuleOf(method);
        if (!rule) continue;
        methods.push({
          fullName: `${serviceName}.${method.name}`,
          name: method.name,
          api: source.api,
          requestType: method.resolvedRequestType ?? root.lookupType(method.requestType),
          responseType: method.resolvedResponseType ?? root.lookupType(method.responseType),
          bindings: bindingsOf(rule),
        });
      }
    }
    for (const [name, rule] of Object.entries(source.operations ?? {})) {
      const method = root.lookupService('google.longrunning.Operations').methods[name];
      if (!method) continue;
      methods.push({
        fullName: `google.longrunning.Operations.${name}@${source.api}`,
        name,
        api: source.api,
        requestType: method.resolvedRequestType as protobuf.Type,
        responseType: method.resolvedResponseType as protobuf.Type,
        bindings: bindingsOf(rule),
      });
    }
  }
  cached = {
    methods,
    root: (api) => roots.get(api) as protobuf.Root,
    lookupType(api, typeName) {
      try {
        return roots.get(api)?.lookupType(typeName);
      } catch {
        return undefined;
      }
    },
  };
  return cached;
}
