import { describe, expect, it } from 'vitest';
import { demuxDockerLogs, lastLines } from './docker-logs.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demuxDockerLogs', () => {
  it('joins stdout and stderr frames in order', () => {
    const buffer = Buffer.concat([frame(1, 'listening\n'), frame(2, 'warning: x\n'), frame(1, 'GET /\n')]);
    expect(demuxDockerLogs(buffer)).toBe('listening\nwarning: x\nGET /\n');
  });

  it('returns raw text (a TTY container) as is', () => {
    expect(demuxDockerLogs(Buffer.from('plain output\nmore'))).toBe('plain output\nmore');
  });

  it('handles an empty buffer', () => {
    expect(demuxDockerLogs(Buffer.alloc(0))).toBe('');
  });
});

describe('lastLines', () => {
  it('keeps the last non-empty lines, cut to a width', () => {
    expect(lastLines('a\n\nb\r\nc\n' + 'x'.repeat(10), 3, 5)).toEqual(['b', 'c', 'xxxxx…']);
  });
});
