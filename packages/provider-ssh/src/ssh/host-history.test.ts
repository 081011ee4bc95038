import { describe, expect, it } from 'vitest';
import { parseHistory, serializeHistoryEntry } from './host-history.js';

describe('history lines', () => {
  const entry = {
    at: '2025-01-01T00:00:00.000Z',
    operation: 'deploy' as const,
    status: 'succeeded' as const,
    service: 'api-prod',
    revision: '3-abc',
    operator: 'alice',
    error: { code: 'X', message: 'multi\nline "quoted"' },
  };

  it('keeps one entry per line, whatever the values hold', () => {
    const line = serializeHistoryEntry(entry);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseHistory(line)).toEqual([entry]);
  });

  it('skips torn and foreign lines', () => {
    const text = `${serializeHistoryEntry(entry)}{"at":"x","operat\n{"foreign":true}\n\n${serializeHistoryEntry({ ...entry, revision: '4-def' })}`;
    expect(parseHistory(text).map((item) => item.revision)).toEqual(['3-abc', '4-def']);
  });
});
