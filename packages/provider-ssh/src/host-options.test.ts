import { describe, expect, it } from 'vitest';
import { defaultSecretsDir, parseHostOptions } from './host-options.js';

describe('parseHostOptions', () => {
  it('fills in the defaults', () => {
    expect(parseHostOptions(undefined, 'localDocker')).toEqual({
      bindAddress: '127.0.0.1',
      restartPolicy: 'unless-stopped',
      keepRevisions: 5,
      stopTimeoutSeconds: 10,
      secretsDir: defaultSecretsDir(),
    });
  });

  it('keeps what the caller sets', () => {
    const options = parseHostOptions(
      {
        bindAddress: '0.0.0.0',
        hostPort: 8080,
        keepRevisions: 2,
        secretsDir: '/tmp/s',
        registry: { host: '127.0.0.1:5000', username: 'u', password: 'p' },
      },
      'localDocker',
    );
    expect(options).toMatchObject({
      bindAddress: '0.0.0.0',
      hostPort: 8080,
      keepRevisions: 2,
      secretsDir: '/tmp/s',
    });
  });

  it.each([
    [{ hostPort: 70000 }, 'options.hostPort'],
    [{ bindAddress: 'localhost' }, 'options.bindAddress'],
    [{ keepRevisions: 0 }, 'options.keepRevisions'],
    [{ restartPolicy: 'sometimes' }, 'options.restartPolicy'],
    [{ registry: { host: '127.0.0.1:5000' } }, 'options.registry.username'],
    [{ hostPrt: 8080 }, 'options'],
  ])('rejects %j naming %s', (input, path) => {
    expect(() => parseHostOptions(input, 'localDocker')).toThrow(
      expect.objectContaining({ code: 'PROVIDER_OPTIONS_INVALID' }),
    );
    try {
      parseHostOptions(input, 'localDocker');
    } catch (error) {
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(/^Invalid localDocker\(\) options: /);
    }
  });

  it('never echoes the registry password', () => {
    try {
      parseHostOptions({ registry: { host: '', username: 'u', password: 'hunter2-secret' } }, 'localDocker');
      expect.unreachable();
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain('hunter2-secret');
      expect((error as Error).message).not.toContain('hunter2-secret');
    }
  });
});
