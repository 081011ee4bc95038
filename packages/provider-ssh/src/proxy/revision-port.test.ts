import { describe, expect, it } from 'vitest';
import { pickRevisionPort, REVISION_PORTS } from './revision-port.js';

describe('pickRevisionPort', () => {
  it('skips ports that are taken or busy, within the revision range', async () => {
    const values = [0, 0, 0.5, 0.9999];
    const port = await pickRevisionPort({
      taken: new Set([REVISION_PORTS.first]),
      random: () => values.shift() ?? 0.5,
      isFree: async (candidate) => candidate !== 15_000,
    });
    expect(port).toBe(REVISION_PORTS.last);
  });

  it('fails with PROVIDER_CONFLICT and a hint when no port is free', async () => {
    await expect(
      pickRevisionPort({ taken: new Set(), random: () => 0.1, isFree: async () => false }),
    ).rejects.toMatchObject({ code: 'PROVIDER_CONFLICT', hint: expect.stringContaining('10000') });
  });
});
