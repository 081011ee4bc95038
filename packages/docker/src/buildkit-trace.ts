/**
 * BuildKit's progress, as the Engine API streams it: each `{"id":"moby.buildkit.trace","aux":"…"}`
 * message carries a base64 protobuf `moby.buildkit.v1.StatusResponse` (buildkit's
 * api/services/control/control.proto). Only the fields Berth reports are decoded: each step's name,
 * whether it was cached, started, completed or failed, and the steps' log lines. Pure.
 */

/** One build step (a BuildKit "vertex"), e.g. `[2/3] WORKDIR /app`. */
export interface BuildkitVertex {
  digest: string;
  name: string;
  cached: boolean;
  started: boolean;
  completed: boolean;
  error?: string;
}

/** A chunk of a step's output (stdout 1, stderr 2). */
export interface BuildkitLog {
  vertex: string;
  stream: number;
  text: string;
}

/** What one trace message says. */
export interface BuildkitStatus {
  vertexes: BuildkitVertex[];
  logs: BuildkitLog[];
}

/** A protobuf field: its number and its value (a number for varints, bytes for length-delimited). */
type Field = { field: number; value: number | Uint8Array };

/** The fields of one protobuf message, in order. Fixed-size fields are skipped. */
function* fields(bytes: Uint8Array): Generator<Field> {
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (offset >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[offset++]!;
      // Beyond 2^53 precision is lost; the fields Berth reads are small (booleans, stream numbers).
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (offset < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { field, value: varint() };
    else if (wire === 2) {
      const length = varint();
      if (offset + length > bytes.length) throw new Error('truncated field');
      yield { field, value: bytes.subarray(offset, offset + length) };
      offset += length;
    } else if (wire === 1) offset += 8;
    else if (wire === 5) offset += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder();
const text = (value: number | Uint8Array): string => (typeof value === 'number' ? '' : utf8.decode(value));

function decodeVertex(bytes: Uint8Array): BuildkitVertex {
  const vertex: BuildkitVertex = { digest: '', name: '', cached: false, started: false, completed: false };
  for (const { field, value } of fields(bytes)) {
    if (field === 1) vertex.digest = text(value);
    else if (field === 3) vertex.name = text(value);
    else if (field === 4) vertex.cached = value === 1;
    else if (field === 5) vertex.started = true;
    else if (field === 6) vertex.completed = true;
    else if (field === 7) vertex.error = text(value);
  }
  return vertex;
}

function decodeLog(bytes: Uint8Array): BuildkitLog {
  const log: BuildkitLog = { vertex: '', stream: 0, text: '' };
  for (const { field, value } of fields(bytes)) {
    if (field === 1) log.vertex = text(value);
    else if (field === 3 && typeof value === 'number') log.stream = value;
    else if (field === 4) log.text = text(value);
  }
  return log;
}

/** Decode one trace message's `aux` (base64). `undefined` when it is not a StatusResponse. */
export function decodeBuildkitTrace(aux: string): BuildkitStatus | undefined {
  try {
    const status: BuildkitStatus = { vertexes: [], logs: [] };
    for (const { field, value } of fields(Buffer.from(aux, 'base64'))) {
      if (typeof value === 'number') continue;
      if (field === 1) status.vertexes.push(decodeVertex(value));
      else if (field === 3) status.logs.push(decodeLog(value));
    }
    return status;
  } catch {
    return undefined;
  }
}

/** The Dockerfile step a vertex is, from its name `[2/3] WORKDIR /app` (a stage may prefix it: `[build 2/3]`). */
export function parseVertexStep(name: string): { current: number; total: number } | undefined {
  const match = /^\[(?:[^\]\s]+ )?(\d+)\/(\d+)\]/.exec(name);
  return match ? { current: Number(match[1]), total: Number(match[2]) } : undefined;
}
