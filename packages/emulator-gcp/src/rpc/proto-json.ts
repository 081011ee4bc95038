import protobuf from 'protobufjs';
import { invalidArgument, type Json, type JsonObject, type RpcError } from './rpc-error.js';

/**
 * Proto3 JSON, checked against the message types of the published protos. Requests are validated
 * and normalised to one canonical form (lowerCamel names, enum names, int64 as strings); responses
 * are written from that form the way Google's front end writes them: default values omitted,
 * enums as numbers when the client asks for `$alt=json;enum-encoding=int`.
 */
export interface ProtoJsonOptions {
  /** Resolves `@type` URLs of `google.protobuf.Any`. */
  lookupType(typeName: string): protobuf.Type | undefined;
}

const int32Types = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32']);
const int64Types = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const wrapperTypes = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (name) => `.google.protobuf.${name}Value`,
  ),
);

/** `service_id` for `serviceId`: the proto name, as the front end reports it in errors. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function join(path: string, name: string): string {
  return path ? `${path}.${snakeCase(name)}` : snakeCase(name);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidValue(path: string, typeLabel: string, value: unknown): RpcError {
  return invalidArgument(path, `Invalid value at '${path}' (${typeLabel}), ${JSON.stringify(value)}`);
}

function fieldByName(type: protobuf.Type, key: string): protobuf.Field | undefined {
  return type.fields[key] ?? type.fieldsArray.find((field) => snakeCase(field.name) === key);
}

/** Validate `value` as a `type` message and return its canonical form. Throws 400 on the first problem. */
export function decodeMessage(
  type: protobuf.Type,
  value: unknown,
  path: string,
  options: ProtoJsonOptions,
): JsonObject {
  const special = decodeWellKnown(type, value, path, options);
  if (special !== undefined) return special as JsonObject;
  if (!isPlainObject(value)) throw invalidValue(path, `type.googleapis.com/${type.fullName.slice(1)}`, value);
  const result: JsonObject = {};
  const oneofsSeen = new Map<string, string>();
  for (const [key, item] of Object.entries(value)) {
    const field = fieldByName(type, key);
    if (!field) {
      const where = path ? ` at '${path}'` : '';
      throw invalidArgument(
        path,
        `Invalid JSON payload received. Unknown name "${key}"${where}: Cannot find field.`,
      );
    }
    if (item === null) continue;
    const fieldPath = join(path, field.name);
    const oneof = field.partOf;
    if (oneof && !oneof.name.startsWith('_')) {
      const other = oneofsSeen.get(oneof.name);
      if (other)
        throw invalidArgument(
          fieldPath,
          `Invalid JSON payload received. Multiple values for oneof "${snakeCase(oneof.name)}": "${snakeCase(other)}" and "${snakeCase(field.name)}".`,
        );
      oneofsSeen.set(oneof.name, field.name);
    }
    const decoded = decodeField(field, item, fieldPath, options);
    // proto3: a scalar without presence that holds its default value is the same as unset.
    if (!oneof && isDefault(field, decoded)) continue;
    result[field.name] = decoded;
  }
  return result;
}

function decodeField(field: protobuf.Field, value: unknown, path: string, options: ProtoJsonOptions): Json {
  if (field.map) {
    if (!isPlainObject(value)) throw invalidValue(path, 'map', value);
    const map: JsonObject = {};
    for (const [key, item] of Object.entries(value))
      map[key] = decodeSingle(field, item, `${path}[${key}]`, options);
    return map;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw invalidValue(path, 'list', value);
    return value.map((item, index) => decodeSingle(field, item, `${path}[${index}]`, options));
  }
  return decodeSingle(field, value, path, options);
}

function decodeSingle(field: protobuf.Field, value: unknown, path: string, options: ProtoJsonOptions): Json {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return decodeEnum(resolved, value, path);
  if (resolved instanceof protobuf.Type) return decodeMessage(resolved, value, path, options);
  return decodeScalar(field.type, value, path);
}

function decodeEnum(type: protobuf.Enum, value: unknown, path: string): Json {
  if (typeof value === 'string' && Object.hasOwn(type.values, value)) return value;
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+$/.test(value)
        ? Number(value)
        : NaN;
  const name = type.valuesById[number];
  if (name !== undefined) return name;
  throw invalidValue(path, `type.googleapis.com/${type.fullName.slice(1)}`, value);
}

function decodeScalar(scalar: string, value: unknown, path: string): Json {
  const label = `TYPE_${scalar.toUpperCase()}`;
  if (scalar === 'string') {
    if (typeof value !== 'string') throw invalidValue(path, label, value);
    return value;
  }
  if (scalar === 'bool') {
    if (typeof value === 'boolean') return value;
    throw invalidValue(path, label, value);
  }
  if (scalar === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value))
      throw invalidValue(path, label, value);
    return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('base64');
  }
  const text =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || text === '') throw invalidValue(path, label, value);
  if (int32Types.has(scalar) || int64Types.has(scalar)) {
    if (!/^-?\d+$/.test(text)) throw invalidValue(path, label, value);
    const number = BigInt(text);
    const unsigned = scalar.startsWith('u') || scalar.startsWith('fixed');
    const bits = int32Types.has(scalar) ? 32n : 64n;
    const min = unsigned ? 0n : -(2n ** (bits - 1n));
    const max = unsigned ? 2n ** bits - 1n : 2n ** (bits - 1n) - 1n;
    if (number < min || number > max) throw invalidValue(path, label, value);
    return int32Types.has(scalar) ? Number(number) : number.toString();
  }
  const number = Number(text);
  if (Number.isNaN(number) && text !== 'NaN') throw invalidValue(path, label, value);
  return number;
}

function decodeWellKnown(
  type: protobuf.Type,
  value: unknown,
  path: string,
  options: ProtoJsonOptions,
): Json | undefined {
  const name = type.fullName;
  const label = `type.googleapis.com/${name.slice(1)}`;
  switch (name) {
    case '.google.protobuf.Timestamp':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d\d-\d\dT/.test(value))
        throw invalidValue(path, label, value);
      return value;
    case '.google.protobuf.Duration':
      if (typeof value !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(value))
        throw invalidValue(path, label, value);
      return value;
    case '.google.protobuf.FieldMask':
      if (typeof value !== 'string') throw invalidValue(path, label, value);
      return value;
    case '.google.protobuf.Struct':
    case '.google.protobuf.Value':
    case '.google.protobuf.ListValue':
      return value as Json;
    case '.google.protobuf.Empty':
      if (!isPlainObject(value) || Object.keys(value).length > 0) throw invalidValue(path, label, value);
      return {};
    case '.google.protobuf.Any':
      return decodeAny(value, path, options);
    default:
      if (wrapperTypes.has(name)) {
        const inner = type.fields.value;
        return inner ? decodeScalar(inner.type, value, path) : undefined;
      }
      return undefined;
  }
}

function decodeAny(value: unknown, path: string, options: ProtoJsonOptions): Json {
  if (!isPlainObject(value) || typeof value['@type'] !== 'string')
    throw invalidArgument(path, `Invalid value at '${path}': google.protobuf.Any requires "@type".`);
  const url = value['@type'];
  const inner = options.lookupType(url.slice(url.lastIndexOf('/') + 1));
  if (!inner) throw invalidArgument(path, `Invalid value at '${path}': unknown type "${url}".`);
  const { '@type': _type, ...rest } = value;
  return { '@type': url, ...decodeMessage(inner, rest, path, options) };
}

/** Write a canonical message as the front end does: defaults omitted, enums as numbers on request. */
export function encodeMessage(
  type: protobuf.Type,
  value: JsonObject,
  numericEnums: boolean,
  options: ProtoJsonOptions,
): JsonObject {
  const result: JsonObject = {};
  for (const field of type.fieldsArray) {
    const item = value[field.name];
    if (item === undefined || item === null) continue;
    const explicit = field.partOf !== null && field.partOf !== undefined;
    if (field.map) {
      const entries = Object.entries(item as JsonObject);
      if (entries.length === 0) continue;
      result[field.name] = Object.fromEntries(
        entries.map(([key, entry]) => [key, encodeSingle(field, entry, numericEnums, options)]),
      );
    } else if (field.repeated) {
      const list = item as Json[];
      if (list.length === 0) continue;
      result[field.name] = list.map((entry) => encodeSingle(field, entry, numericEnums, options));
    } else {
      if (!explicit && isDefault(field, item)) continue;
      result[field.name] = encodeSingle(field, item, numericEnums, options);
    }
  }
  return result;
}

function isDefault(field: protobuf.Field, value: Json): boolean {
  if (field.map) return Object.keys(value as JsonObject).length === 0;
  if (field.repeated) return (value as Json[]).length === 0;
  if (field.resolvedType instanceof protobuf.Type) return false;
  if (field.resolvedType instanceof protobuf.Enum)
    return field.resolvedType.values[value as string] === 0 || value === 0;
  return value === '' || value === 0 || value === '0' || value === false;
}

function encodeSingle(
  field: protobuf.Field,
  value: Json,
  numericEnums: boolean,
  options: ProtoJsonOptions,
): Json {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (!numericEnums || typeof value === 'number') return value;
    return resolved.values[value as string] ?? value;
  }
  if (resolved instanceof protobuf.Type) {
    if (resolved.fullName === '.google.protobuf.Any')
      return encodeAny(value as JsonObject, numericEnums, options);
    if (!resolved.fullName.startsWith('.google.protobuf.'))
      return encodeMessage(resolved, value as JsonObject, numericEnums, options);
  }
  return value;
}

function encodeAny(value: JsonObject, numericEnums: boolean, options: ProtoJsonOptions): JsonObject {
  const url = String(value['@type']);
  const inner = options.lookupType(url.slice(url.lastIndexOf('/') + 1));
  if (!inner) return value;
  return { '@type': url, ...encodeMessage(inner, value, numericEnums, options) };
}
