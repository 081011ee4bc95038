import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStateStoreConformance } from '../conformance/describe-state-store-conformance.js';
import { fileStateStore } from './file-state-store.js';
import { memoryStateStore } from './memory-state-store.js';

const dir = join(await mkdtemp(join(tmpdir(), 'berth-state-conformance-')), '.deployment');

describeStateStoreConformance({
  name: 'fileStateStore',
  create: () => fileStateStore({ dir }),
  seedRaw: async (service, raw) => {
    await mkdir(join(dir, service), { recursive: true });
    await writeFile(join(dir, service, 'state.json'), JSON.stringify(raw));
  },
  dumpRaw: async (service) => {
    const names = await readdir(join(dir, service)).catch(() => [] as string[]);
    const texts = await Promise.all(names.map((name) => readFile(join(dir, service, name), 'utf8')));
    return texts.join('\n');
  },
});

const memory = memoryStateStore();
describeStateStoreConformance({
  name: 'memoryStateStore',
  create: () => memory,
  // The memory store migrates on read like the others; a raw older state is written as is.
  seedRaw: (service, raw) => memory.write(service, raw as never),
  dumpRaw: async (service) => JSON.stringify(memory.snapshot()[service] ?? {}),
});
