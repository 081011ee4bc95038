import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallInfo, RpcHandler } from '../emulator-context.js';
import type { FaultController } from '../faults.js';
import { clearOutputOnly, missingRequired } from './field-behavior.js';
import { decodeMessage, encodeMessage, type ProtoJsonOptions } from './proto-json.js';
import type { ApiName, HttpBinding, ProtoRegistry, RpcMethod } from './proto-registry.js';
import { invalidArgument, type JsonObject, RpcError, serviceDisabled } from './rpc-error.js';
import { projectOfPath, transcodeRequest } from './transcode-request.js';

/** One API call the emulator answered, for tests and debugging. */
export interface CallRecord {
  /** e.g. `google.cloud.run.v2.Services.UpdateService`. */
  method: string;
  /** HTTP status answered. */
  httpStatus: number;
  /** `OK` or the `google.rpc.Code` name. */
  status: string;
}

/** Settings of the dispatcher. */
export interface DispatchOptions {
  registry: ProtoRegistry;
  handlers: Map<string, RpcHandler>;
  faults: FaultController;
  disabledApis: () => ReadonlySet<ApiName>;
  requestLatencyMs: () => number;
  onCall: (record: CallRecord) => void;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  body: JsonObject,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body, null, 2);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  response.end(text);
}

function route(registry: ProtoRegistry, method: string, path: string) {
  for (const rpc of registry.methods)
    for (const binding of rpc.bindings) {
      if (binding.method !== method) continue;
      const variables = binding.path.match(path);
      if (variables) return { rpc, binding, variables };
    }
  return undefined;
}

function setPath(target: JsonObject, fieldPath: string, value: string): void {
  const names = fieldPath
    .split('.')
    .map((name) => name.replace(/_([a-z0-9])/g, (_m, letter: string) => letter.toUpperCase()));
  let cursor = target;
  names.forEach((name, index) => {
    if (index === names.length - 1) cursor[name] = value;
    else {
      if (typeof cursor[name] !== 'object' || cursor[name] === null) cursor[name] = {};
      cursor = cursor[name] as JsonObject;
    }
  });
}

/** Decode, validate and normalise the request of a routed call. */
function decodeRequest(
  rpc: RpcMethod,
  binding: HttpBinding,
  variables: Record<string, string>,
  url: URL,
  body: string,
  json: ProtoJsonOptions,
): { request: JsonObject; numericEnums: boolean } {
  const transcoded = transcodeRequest(rpc.requestType, binding, variables, url.searchParams, body);
  const decoded = decodeMessage(rpc.requestType, transcoded.request, '', json);
  // Output-only fields are ignored on input; identifiers from the URL stay.
  const request = clearOutputOnly(rpc.requestType, decoded);
  for (const [fieldPath, value] of Object.entries(variables)) setPath(request, fieldPath, value);
  const missing = missingRequired(rpc.requestType, request);
  if (missing.length > 0) {
    const field = missing[0] ?? '';
    throw invalidArgument(field, `Field '${field}' is required but was not set.`);
  }
  return { request, numericEnums: transcoded.numericEnums };
}

/**
 * The HTTP handler of the API endpoint: authenticate, route by the protos' HTTP rules, apply
 * faults, decode and validate the request, call the handler, and write the response or error the
 * way Google's JSON front end does.
 */
export function createDispatcher(
  options: DispatchOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://emulator');
      const routed = route(options.registry, request.method ?? 'GET', url.pathname);
      const methodName = routed?.rpc.fullName.replace(/@.*$/, '') ?? `${request.method} ${url.pathname}`;
      const answer = (status: number, body: JsonObject, headers?: Record<string, string>) => {
        options.onCall({
          method: methodName,
          httpStatus: status,
          status: status < 400 ? 'OK' : String((body.error as JsonObject | undefined)?.status ?? status),
        });
        send(response, status, body, headers);
      };
      try {
        const body = await readBody(request);
        const latency = options.requestLatencyMs();
        if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
        if (!/^Bearer\s+\S+/i.test(request.headers.authorization ?? ''))
          return answer(
            401,
            new RpcError(
              'UNAUTHENTICATED',
              'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
            ).toHttpBody(),
            { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
          );
        if (!routed)
          return answer(
            404,
            new RpcError(
              'NOT_FOUND',
              `The requested URL ${url.pathname} was not found on this server.`,
            ).toHttpBody(),
          );
        const { rpc, binding, variables } = routed;
        const project = projectOfPath(url.pathname);
        if (project && options.disabledApis().has(rpc.api)) throw serviceDisabled(rpc.api, project);
        const injected = options.faults.takeCallFault(rpc.fullName, rpc.name);
        if (injected) throw injected;
        const json: ProtoJsonOptions = { lookupType: (name) => options.registry.lookupType(rpc.api, name) };
        const { request: message, numericEnums } = decodeRequest(rpc, binding, variables, url, body, json);
        const handler = options.handlers.get(rpc.fullName);
        if (!handler)
          throw new RpcError(
            'UNIMPLEMENTED',
            `Method ${methodName} is not implemented by the Berth GCP emulator.`,
          );
        const call: CallInfo = { method: rpc };
        const result = await handler(message, call);
        answer(200, encodeMessage(rpc.responseType, result, numericEnums, json));
      } catch (error) {
        const rpcError =
          error instanceof RpcError ? error : new RpcError('INTERNAL', 'Internal error encountered.');
        if (!(error instanceof RpcError)) console.error('[gcp-emulator]', error);
        answer(rpcError.httpStatus, rpcError.toHttpBody());
      }
    })();
  };
}
