import protobuf from 'protobufjs';
import { snakeCase } from './proto-json.js';
import type { HttpBinding } from './proto-registry.js';
import { invalidArgument, type JsonObject } from './rpc-error.js';

/** Query parameters every Google REST API accepts that are not request fields. */
const systemParameters = new Set([
  '$alt',
  'alt',
  '$prettyPrint',
  'prettyPrint',
  '$fields',
  'fields',
  'key',
  'access_token',
  'quotaUser',
  '$.xgafv',
  'callback',
  'upload_protocol',
  'uploadType',
  'oauth_token',
]);

/** What the front end reads from the URL besides the request. */
export interface TranscodedRequest {
  request: Record<string, unknown>;
  /** `$alt=json;enum-encoding=int`: answer enums as numbers (the official clients ask for it). */
  numericEnums: boolean;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

function setPath(target: Record<string, unknown>, fieldPath: string[], value: unknown): void {
  let cursor = target;
  fieldPath.forEach((segment, index) => {
    if (index === fieldPath.length - 1) cursor[segment] = value;
    else {
      const next = cursor[segment];
      if (typeof next !== 'object' || next === null) cursor[segment] = {};
      cursor = cursor[segment] as Record<string, unknown>;
    }
  });
}

function findField(type: protobuf.Type, name: string): protobuf.Field | undefined {
  return (
    type.fields[name] ??
    type.fields[camelCase(name)] ??
    type.fieldsArray.find((field) => snakeCase(field.name) === name)
  );
}

function cannotBind(key: string): Error {
  return invalidArgument(
    '',
    `Invalid JSON payload received. Unknown name "${key}": Cannot bind query parameter. Field '${key}' could not be found in request message.`,
  );
}

/** Turn a query string value into the JSON the field expects (booleans, lists; the rest stays text). */
function queryValue(field: protobuf.Field, raw: string): unknown {
  if (field.type === 'bool') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/**
 * Build the request message (JSON) from path variables, query parameters and the body, following
 * the binding's `google.api.http` rule. Validation of values happens afterwards against the type.
 */
export function transcodeRequest(
  type: protobuf.Type,
  binding: HttpBinding,
  variables: Record<string, string>,
  query: URLSearchParams,
  body: string,
): TranscodedRequest {
  let request: Record<string, unknown> = {};
  if (binding.body && binding.method !== 'GET' && binding.method !== 'DELETE') {
    let parsed: unknown = {};
    if (body.trim() !== '') {
      try {
        parsed = JSON.parse(body);
      } catch {
        throw invalidArgument('', 'Invalid JSON payload received. Unexpected token.');
      }
    }
    if (binding.body === '*') {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw invalidArgument('', 'Invalid JSON payload received. Expected an object.');
      request = parsed as Record<string, unknown>;
    } else request[camelCase(binding.body)] = parsed;
  }
  let numericEnums = false;
  for (const [key, raw] of query) {
    if (key === '$alt' || key === 'alt') numericEnums ||= raw.includes('enum-encoding=int');
    if (systemParameters.has(key)) continue;
    const segments = key.split('.');
    let cursorType: protobuf.Type | undefined = type;
    const names: string[] = [];
    let field: protobuf.Field | undefined;
    for (const segment of segments) {
      field = cursorType ? findField(cursorType, segment) : undefined;
      if (!field) throw cannotBind(key);
      names.push(field.name);
      const resolved: protobuf.Type | protobuf.Enum | null = field.resolvedType;
      cursorType = resolved instanceof protobuf.Type ? resolved : undefined;
    }
    if (!field) throw cannotBind(key);
    const value = queryValue(field, raw);
    if (field.repeated) {
      let cursor: unknown = request;
      for (const name of names) cursor = (cursor as Record<string, unknown> | undefined)?.[name];
      setPath(request, names, [...(Array.isArray(cursor) ? cursor : []), value]);
    } else setPath(request, names, value);
  }
  for (const [fieldPath, value] of Object.entries(variables))
    setPath(request, fieldPath.split('.').map(camelCase), value);
  return { request, numericEnums };
}

/** The project named in a resource path, if any (`projects/{project}/...`). */
export function projectOfPath(path: string): string | undefined {
  return /\/projects\/([^/:]+)/.exec(path)?.[1];
}

export type { JsonObject };
