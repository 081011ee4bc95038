import * as ssh from '@berth/provider-ssh';
import { describe, expect, it } from 'vitest';
import { localDocker } from './index.js';

describe('@berth/provider-local', () => {
  it('is the local Docker provider of @berth/provider-ssh, found by its name', () => {
    expect(localDocker).toBe(ssh.localDocker);
    const provider = localDocker({ secretsDir: '/tmp/berth-provider-local-test' });
    expect(provider.name).toBe('local-docker');
  });

  it('validates its options before any I/O, naming the option', () => {
    expect(() => localDocker({ keepRevisions: 0 })).toThrow(
      expect.objectContaining({
        code: 'PROVIDER_OPTIONS_INVALID',
        message: expect.stringContaining('keepRevisions'),
      }),
    );
  });
});
