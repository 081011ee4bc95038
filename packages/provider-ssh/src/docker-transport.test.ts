import { describe, expect, it } from 'vitest';
import { parseExitCodes } from './docker-transport.js';

describe('parseExitCodes', () => {
  it('reads the exit codes of die events in order, skipping partial lines', () => {
    const events = [
      { Type: 'container', Action: 'die', Actor: { Attributes: { exitCode: '1', name: 'x' } } },
      { Type: 'container', Action: 'die', Actor: { Attributes: { exitCode: '137' } } },
    ];
    const text = `${events.map((event) => JSON.stringify(event)).join('\n')}\n{"Type":`;
    expect(parseExitCodes(text)).toEqual([1, 137]);
  });

  it('is empty without events', () => {
    expect(parseExitCodes('')).toEqual([]);
  });
});
