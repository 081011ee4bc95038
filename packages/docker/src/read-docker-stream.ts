import { StringDecoder } from 'node:string_decoder';

/** One message of the Docker Engine's JSON progress stream (build, push, pull). */
export interface DockerStreamMessage {
  /** Build output text (may hold several lines, or part of one). */
  stream?: string;
  /** Push/pull status, e.g. `Pushing`, `Pushed`, `Layer already exists`. */
  status?: string;
  /** Layer id for push/pull progress. */
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /**
   * Build: `{ ID }` of the image; push: `{ Tag, Digest, Size }`; a BuildKit build's progress
   * (`id: 'moby.buildkit.trace'`): a base64 protobuf string (see buildkit-trace.ts).
   */
  aux?: string | { ID?: string; Tag?: string; Digest?: string; Size?: number };
  /** Set when the operation failed: the engine reports failures inside the stream, with HTTP 200. */
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/**
 * Incremental parser for the engine's JSON stream. Objects are newline-delimited but can be split
 * across chunks (even inside a multi-byte character) or, on some engines, written back to back; the
 * parser tracks braces and strings so it handles all three.
 */
export function createDockerStreamParser(): {
  push(chunk: Buffer | string): DockerStreamMessage[];
  end(): DockerStreamMessage[];
} {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;

  const scan = (text: string): DockerStreamMessage[] => {
    const messages: DockerStreamMessage[] = [];
    const offset = pending.length;
    pending += text;
    for (let index = offset; index < pending.length; index += 1) {
      const character = pending[index];
      if (inString) {
        if (escaped) escaped = false;
        else if (character === '\\') escaped = true;
        else if (character === '"') inString = false;
      } else if (character === '"' && depth > 0) {
        inString = true;
      } else if (character === '{') {
        if (depth === 0) start = index;
        depth += 1;
      } else if (character === '}' && depth > 0) {
        depth -= 1;
        if (depth === 0) {
          const message = parseMessage(pending.slice(start, index + 1));
          if (message) messages.push(message);
          pending = pending.slice(index + 1);
          index = -1;
          start = -1;
        }
      }
    }
    // Text between objects (newlines) is dropped; an unfinished object stays pending.
    if (depth === 0) pending = '';
    return messages;
  };

  return {
    push: (chunk) => scan(typeof chunk === 'string' ? chunk : decoder.write(chunk)),
    end: () => scan(decoder.end()),
  };
}

/** Read a whole engine stream as messages, in order. */
export async function* readDockerStream(
  stream: AsyncIterable<Buffer | string>,
): AsyncGenerator<DockerStreamMessage> {
  const parser = createDockerStreamParser();
  for await (const chunk of stream) yield* parser.push(chunk);
  yield* parser.end();
}

/** The failure a message reports, if any. */
export function streamErrorMessage(message: DockerStreamMessage): string | undefined {
  if (message.error === undefined && message.errorDetail === undefined) return undefined;
  return message.errorDetail?.message || message.error || 'unknown error';
}

function parseMessage(text: string): DockerStreamMessage | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as DockerStreamMessage) : undefined;
  } catch {
    return undefined;
  }
}
