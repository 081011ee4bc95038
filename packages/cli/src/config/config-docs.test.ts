import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFields, generatedDocs, withGeneratedDocs } from './config-docs.js';

const docsFile = fileURLToPath(new URL('../../../../docs/cli.md', import.meta.url));

describe('the config reference in docs/cli.md', () => {
  it('is the one generated from the schema (run `pnpm --filter @berth/cli run write-docs` when this fails)', () => {
    const docs = readFileSync(docsFile, 'utf8');
    expect(docs).toContain(generatedDocs());
    expect(withGeneratedDocs(docs)).toBe(docs);
  });

  it('describes every field', () => {
    const undocumented = configFields().filter((field) => !field.description);
    expect(undocumented.map((field) => field.path)).toEqual([]);
    expect(configFields().map((field) => field.path)).toEqual(
      expect.arrayContaining([
        'services.<service>.dependsOn',
        'services.<service>.environments.<environment>.resources',
        'targets.<target>.kind',
        'state.kind',
      ]),
    );
  });
});
