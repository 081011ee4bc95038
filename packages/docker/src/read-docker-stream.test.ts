import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createDockerStreamParser, readDockerStream, streamErrorMessage } from './read-docker-stream.js';

describe('createDockerStreamParser', () => {
  it('parses newline-delimited messages split across chunks anywhere', () => {
    const text =
      '{"stream":"Step 1/2 : FROM busybox\\n"}\r\n{"stream":" ---> abc\\n"}\r\n{"aux":{"ID":"sha256:1"}}\r\n';
    for (let cut = 1; cut < text.length; cut += 1) {
      const parser = createDockerStreamParser();
      const messages = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut)), ...parser.end()];
      expect(messages).toEqual([
        { stream: 'Step 1/2 : FROM busybox\n' },
        { stream: ' ---> abc\n' },
        { aux: { ID: 'sha256:1' } },
      ]);
    }
  });

  it('keeps a multi-byte character split between two buffers intact', () => {
    const bytes = Buffer.from('{"stream":"caf\u00e9 \u2713"}\n');
    const cut = bytes.indexOf(0xa9); // inside the two bytes of é
    const parser = createDockerStreamParser();
    const messages = [
      ...parser.push(bytes.subarray(0, cut)),
      ...parser.push(bytes.subarray(cut)),
      ...parser.end(),
    ];
    expect(messages).toEqual([{ stream: 'caf\u00e9 \u2713' }]);
  });

  it('handles objects written back to back and braces or quotes inside strings', () => {
    const parser = createDockerStreamParser();
    const messages = parser.push('{"stream":"echo \\"{\\" }"}{"status":"done"}');
    expect(messages).toEqual([{ stream: 'echo "{" }' }, { status: 'done' }]);
  });

  it('drops lines that are not JSON objects', () => {
    const parser = createDockerStreamParser();
    expect([...parser.push('garbage\n{"status":"ok"}\n'), ...parser.end()]).toEqual([{ status: 'ok' }]);
  });
});

describe('streamErrorMessage', () => {
  it('reads errors reported inside the stream', () => {
    expect(
      streamErrorMessage({
        errorDetail: { message: 'unauthorized: authentication required' },
        error: 'unauthorized: authentication required',
      }),
    ).toBe('unauthorized: authentication required');
    expect(
      streamErrorMessage({ error: "The command '/bin/sh -c false' returned a non-zero code: 1" }),
    ).toContain('non-zero');
    expect(streamErrorMessage({ stream: 'fine' })).toBeUndefined();
  });
});

describe('readDockerStream', () => {
  it('yields every message of a stream, including an error at the end', async () => {
    const stream = Readable.from([
      Buffer.from('{"status":"Pushing","id":"a"}\n{"err'),
      Buffer.from('or":"boom","errorDetail":{"message":"boom"}}\n'),
    ]);
    const messages = [];
    for await (const message of readDockerStream(stream)) messages.push(message);
    expect(messages).toEqual([
      { status: 'Pushing', id: 'a' },
      { error: 'boom', errorDetail: { message: 'boom' } },
    ]);
  });
});
