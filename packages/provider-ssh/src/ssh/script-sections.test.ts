import { describe, expect, it } from 'vitest';
import { parseSections, sectionStart } from './script-sections.js';

describe('script sections', () => {
  it('prints a marker line and splits an answer at marker lines only', () => {
    expect(sectionStart('@@m@@', 'a b').script).toBe(`printf '\\n%s\\n' '@@m@@a b'`);
    const sections = parseSections(
      'noise\n\n@@m@@one\nfirst\nline @@m@@two\n\n@@m@@empty\n\n@@m@@two\nlast\n',
      '@@m@@',
    );
    expect(Object.fromEntries(sections)).toEqual({ one: 'first\nline @@m@@two', empty: '', two: 'last' });
  });
});
