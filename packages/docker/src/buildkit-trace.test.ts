import { describe, expect, it } from 'vitest';
import { decodeBuildkitTrace, parseVertexStep } from './buildkit-trace.js';

// Real `moby.buildkit.trace` messages, captured from Docker Engine 20.10.24 (`POST /build?version=2`).
/** hello-agent's build: `[1/3] FROM` completed, `[2/3] WORKDIR /app` from the cache, `[3/3] COPY` started. */
const cachedSteps =
  'CsQBCkdzaGEyNTY6MThlY2NjZDJiOTk3ZDI0MDM0YjM5NTU5MjVkM2M5NTQzY2VmNWY2YWE5NGU0NDg0ZjY4MjkzODIyNGYxMTNlYxJHc2hhMjU2OmNhY2Y0NjhkMGRkOGJkNDllNjc4MTY2NGZmMTExZGY5YTA4ZWU3NjI2NTJhNzc1MTY5NWJhMTRjNGFjNjllYzYaElsyLzNdIFdPUktESVIgL2FwcCABKgwI/Yu82AYQ1Oej5QIyDAj9i7zYBhCWyqjlAgqQAgpHc2hhMjU2OjJkOTUxODM3MTZkODBlYzE3YzgzYjNkMjY2OTUyNjhmMDU3MzUwYmI3ODM2NjBiZmQxNGZkNTI2MWZiNDdjMmYSR3NoYTI1NjoxOGVjY2NkMmI5OTdkMjQwMzRiMzk1NTkyNWQzYzk1NDNjZWY1ZjZhYTk0ZTQ0ODRmNjgyOTM4MjI0ZjExM2VjEkdzaGEyNTY6MjY5NDUyYjY5NTNmNTQzYjI3ZGUwMWU4YzAxZTVjNjZiODIzOGNhMWQ1ZWMxZGE5OGZhMWUyYjQ3MjFiYWNjYRolWzMvM10gQ09QWSBwYWNrYWdlLmpzb24gc2VydmVyLm1qcyAuLyoMCP2LvNgGEJGZruUC';
/** A failed `RUN` step's output: stderr (stream 2) of the step. */
const stepLog =
  'GscBCkdzaGEyNTY6ZDY0ZDQ5NzcyMWU5ZmQ4YWNkZDk2ZmZiNDNkYThjMWZlMGU4ODNlYWM2ODEyM2IzYTFlOWQ5OTM0NTFkNjQyYhILCK2OvNgGELvvjiIYAiJtcnVuYyBydW4gZmFpbGVkOiB1bmFibGUgdG8gc3RhcnQgY29udGFpbmVyIHByb2Nlc3M6IGV4ZWM6ICIvYmluL3NoIjogc3RhdCAvYmluL3NoOiBubyBzdWNoIGZpbGUgb3IgZGlyZWN0b3J5Cg==';
/** The same step, failed. */
const failedStep =
  'CqgCCkdzaGEyNTY6ZDY0ZDQ5NzcyMWU5ZmQ4YWNkZDk2ZmZiNDNkYThjMWZlMGU4ODNlYWM2ODEyM2IzYTFlOWQ5OTM0NTFkNjQyYhJHc2hhMjU2OmNhY2Y0NjhkMGRkOGJkNDllNjc4MTY2NGZmMTExZGY5YTA4ZWU3NjI2NTJhNzc1MTY5NWJhMTRjNGFjNjllYzYaJ1syLzJdIFJVTiBlY2hvIGhlbGxvLWZyb20tcnVuICYmIGV4aXQgMyoMCKyOvNgGEMWhj6IDMgsIrY682AYQvu/DJTpQZXhlY3V0b3IgZmFpbGVkIHJ1bm5pbmcgWy9iaW4vc2ggLWMgZWNobyBoZWxsby1mcm9tLXJ1biAmJiBleGl0IDNdOiBleGl0IGNvZGU6IDE=';

describe('decodeBuildkitTrace', () => {
  it('reads the steps of a build, which are cached and which started', () => {
    const status = decodeBuildkitTrace(cachedSteps);
    const steps = status?.vertexes.map((vertex) => [
      vertex.name,
      vertex.cached,
      vertex.started,
      vertex.completed,
    ]);
    expect(steps).toContainEqual(['[2/3] WORKDIR /app', true, true, true]);
    expect(steps?.some(([name]) => name === '[3/3] COPY package.json server.mjs ./')).toBe(true);
    expect(status?.vertexes.every((vertex) => vertex.digest.startsWith('sha256:'))).toBe(true);
  });

  it("reads a step's output and its stream", () => {
    const [log] = decodeBuildkitTrace(stepLog)?.logs ?? [];
    expect(log?.stream).toBe(2);
    expect(log?.text).toMatch(/^runc run failed: .*stat \/bin\/sh: no such file or directory\n$/);
  });

  it("reads a failed step's error", () => {
    const [vertex] = decodeBuildkitTrace(failedStep)?.vertexes ?? [];
    expect(vertex?.name).toBe('[2/2] RUN echo hello-from-run && exit 3');
    expect(vertex?.error).toBe(
      'executor failed running [/bin/sh -c echo hello-from-run && exit 3]: exit code: 1',
    );
  });

  it('gives undefined for what is not a StatusResponse', () => {
    expect(decodeBuildkitTrace(Buffer.from([0x0a, 0x05, 0x01]).toString('base64'))).toBeUndefined();
    expect(decodeBuildkitTrace(Buffer.from([0x0f]).toString('base64'))).toBeUndefined();
  });
});

describe('parseVertexStep', () => {
  it('reads the step number of a Dockerfile step, with or without a stage name', () => {
    expect(parseVertexStep('[2/3] WORKDIR /app')).toEqual({ current: 2, total: 3 });
    expect(parseVertexStep('[build 4/7] RUN npm ci')).toEqual({ current: 4, total: 7 });
    expect(parseVertexStep('[internal] load build definition from Dockerfile')).toBeUndefined();
  });
});
