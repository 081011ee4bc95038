import protobuf from 'protobufjs';
import { snakeCase } from './proto-json.js';
import type { Json, JsonObject } from './rpc-error.js';

/** `google.api.field_behavior` values of a field. */
export function behaviorsOf(field: protobuf.Field): string[] {
  const behaviors: string[] = [];
  const direct = field.options?.['(google.api.field_behavior)'];
  if (typeof direct === 'string') behaviors.push(direct);
  for (const option of (field.parsedOptions ?? []) as Record<string, unknown>[]) {
    const value = option['(google.api.field_behavior)'];
    if (typeof value === 'string' && !behaviors.includes(value)) behaviors.push(value);
  }
  return behaviors;
}

function isEmpty(value: Json | undefined): boolean {
  return (
    value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
  );
}

function messageType(field: protobuf.Field): protobuf.Type | undefined {
  const resolved = field.resolvedType;
  return resolved instanceof protobuf.Type && !resolved.fullName.startsWith('.google.protobuf.')
    ? resolved
    : undefined;
}

/** Drop `OUTPUT_ONLY` fields from a request resource: Google APIs ignore them on input. */
export function clearOutputOnly(type: protobuf.Type, value: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const field = type.fields[key];
    if (!field) continue;
    if (behaviorsOf(field).includes('OUTPUT_ONLY')) continue;
    const inner = messageType(field);
    if (!inner || field.map) result[key] = item;
    else if (field.repeated)
      result[key] = (item as JsonObject[]).map((entry) => clearOutputOnly(inner, entry));
    else result[key] = clearOutputOnly(inner, item as JsonObject);
  }
  return result;
}

/** Paths (proto names) of `REQUIRED` fields that are missing, checked through present sub-messages. */
export function missingRequired(type: protobuf.Type, value: JsonObject, path = ''): string[] {
  const missing: string[] = [];
  for (const field of type.fieldsArray) {
    const fieldPath = path ? `${path}.${snakeCase(field.name)}` : snakeCase(field.name);
    const item = value[field.name];
    if (behaviorsOf(field).includes('REQUIRED') && isEmpty(item)) {
      missing.push(fieldPath);
      continue;
    }
    const inner = messageType(field);
    if (!inner || item === undefined || field.map) continue;
    if (field.repeated)
      (item as JsonObject[]).forEach((entry, index) => {
        missing.push(...missingRequired(inner, entry, `${fieldPath}[${index}]`));
      });
    else missing.push(...missingRequired(inner, item as JsonObject, fieldPath));
  }
  return missing;
}
