import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from './error-codes.js';

const docs = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
const codes = Object.keys(errorCodes);

describe('docs/errors.md', () => {
  it.each(codes)('documents %s', (code) => {
    expect(docs).toContain(`\`${code}\``);
    expect(docs).toMatch(new RegExp(`^#+ \`${code}\`$`, 'm'));
  });

  it('has a section only for codes that exist', () => {
    const sections = [...docs.matchAll(/^#+ `([A-Z_]+)`$/gm)].map((match) => match[1]);
    expect(sections.filter((code) => !codes.includes(code ?? ''))).toEqual([]);
    expect(new Set(sections).size).toBe(sections.length);
  });
});
