import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBuildContext } from './build-context.js';
import {
  composeFingerprint,
  type FingerprintInputs,
  fingerprintContext,
  fingerprintTag,
} from './context-fingerprint.js';

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function contextFolder(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'berth-fingerprint-'));
  folders.push(root);
  await mkdir(join(root, 'src'));
  await writeFile(join(root, 'Dockerfile'), 'FROM scratch\nCOPY src /src\n');
  await writeFile(join(root, '.dockerignore'), 'notes.txt\n');
  await writeFile(join(root, 'src', 'app.sh'), 'echo hello\n');
  await writeFile(join(root, 'notes.txt'), 'not sent\n');
  return root;
}

async function fingerprint(root: string, inputs: FingerprintInputs = {}): Promise<string> {
  return fingerprintContext(await readBuildContext(root), inputs);
}

describe('fingerprintContext', () => {
  it('is stable for the same context and inputs, and shaped sha256:<64 hex>', async () => {
    const root = await contextFolder();
    const first = await fingerprint(root, { args: { A: '1', B: '2' }, platform: 'linux/amd64' });
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await fingerprint(root, { args: { B: '2', A: '1' }, platform: 'linux/amd64' })).toBe(first);
  });

  it('changes when a sent file changes', async () => {
    const root = await contextFolder();
    const before = await fingerprint(root);
    await writeFile(join(root, 'src', 'app.sh'), 'echo bye\n');
    expect(await fingerprint(root)).not.toBe(before);
  });

  it('changes when a file mode changes', async () => {
    const root = await contextFolder();
    const before = await fingerprint(root);
    await chmod(join(root, 'src', 'app.sh'), 0o755);
    expect(await fingerprint(root)).not.toBe(before);
  });

  it('changes when a file is added or renamed', async () => {
    const root = await contextFolder();
    const before = await fingerprint(root);
    await writeFile(join(root, 'src', 'extra.sh'), '');
    expect(await fingerprint(root)).not.toBe(before);
  });

  it('changes with build args and platform', async () => {
    const root = await contextFolder();
    const base = await fingerprint(root, { args: { A: '1' } });
    expect(await fingerprint(root, { args: { A: '2' } })).not.toBe(base);
    expect(await fingerprint(root, { args: { A: '1', B: '' } })).not.toBe(base);
    expect(await fingerprint(root, { args: { A: '1' }, platform: 'linux/arm64' })).not.toBe(base);
  });

  it('does not change when an ignored file changes', async () => {
    const root = await contextFolder();
    const before = await fingerprint(root);
    await writeFile(join(root, 'notes.txt'), 'edited, still not sent\n');
    expect(await fingerprint(root)).toBe(before);
  });
});

describe('composeFingerprint', () => {
  const entries = [
    { path: 'a', type: 'file' as const, mode: 0o644, content: 'x' },
    { path: 'b', type: 'file' as const, mode: 0o644, content: 'y' },
  ];

  it('ignores entry order but not the Dockerfile path', () => {
    const fingerprint = composeFingerprint(entries, 'Dockerfile', {});
    expect(composeFingerprint([...entries].reverse(), 'Dockerfile', {})).toBe(fingerprint);
    expect(composeFingerprint(entries, 'other.Dockerfile', {})).not.toBe(fingerprint);
  });

  it('tells paths apart that only differ in how they would be joined', () => {
    const joined = [{ path: 'a b', type: 'file' as const, mode: 0o644, content: 'c' }];
    const split = [{ path: 'a', type: 'file' as const, mode: 0o644, content: 'b c' }];
    expect(composeFingerprint(joined, 'Dockerfile', {})).not.toBe(
      composeFingerprint(split, 'Dockerfile', {}),
    );
  });
});

describe('fingerprintTag', () => {
  it('is fp- and the first 16 hex digits', () => {
    expect(fingerprintTag(`sha256:${'0123456789abcdef'.repeat(4)}`)).toBe('fp-0123456789abcdef');
  });
});
