import { describe, expect, it } from 'vitest';
import { buildEnvFile, formatWrittenAt, renderEnvFile } from './env-file.ts';

const ssh = {
  host: '127.0.0.1',
  privateKeyPath: '/var/lib/berth-test-env/ssh/client/id_ed25519',
  hostKeyFingerprint: 'SHA256:abc',
  knownHostsPath: '/var/lib/berth-test-env/ssh/known_hosts',
};

describe('buildEnvFile', () => {
  it('writes the sections in component order, an addition inside its section, writtenAt last', () => {
    const { json, missing } = buildEnvFile(
      [
        { component: 'docker', sections: { docker: { socketPath: '/var/run/docker.sock' } } },
        {
          component: 'registry',
          sections: { registry: { host: '127.0.0.1:5000', username: 'berth', password: 'pw' } },
        },
        { component: 'images', sections: { images: { busybox: 'b', node: 'n', healthService: 'h' } } },
        { component: 'proxy', sections: { images: { caddy: 'berth/caddy:2.6' } }, extends: ['images'] },
        { component: 'sshd', sections: { sshd: { ...ssh, port: 2222 } } },
      ],
      new Date('2026-11-22T07:30:06.789Z'),
    );
    expect(missing).toEqual([]);
    expect(Object.keys(json)).toEqual(['docker', 'registry', 'images', 'sshd', 'writtenAt']);
    expect(json.images).toEqual({ busybox: 'b', node: 'n', healthService: 'h', caddy: 'berth/caddy:2.6' });
    expect(Object.keys(json.images as object)).toEqual(['busybox', 'node', 'healthService', 'caddy']);
    expect(json.writtenAt).toBe('2026-11-22T07:30:06Z');
  });

  it('leaves out what is not up, and drops an addition whose section is missing', () => {
    const { json, missing } = buildEnvFile(
      [
        { component: 'docker', sections: { docker: { socketPath: '/s' } } },
        { component: 'images', sections: undefined },
        { component: 'proxy', sections: { images: { caddy: 'c' } }, extends: ['images'] },
        { component: 'postgres', sections: undefined },
      ],
      new Date(0),
    );
    expect(json).toEqual({ docker: { socketPath: '/s' }, writtenAt: '1970-01-01T00:00:00Z' });
    expect(missing).toEqual(['images', 'postgres']);
  });
});

describe('renderEnvFile', () => {
  it('prints what jq printed: two-space JSON and a newline', () => {
    expect(
      renderEnvFile({ docker: { socketPath: '/s' }, s3: { forcePathStyle: true, port: 1 }, writtenAt: 'w' }),
    ).toBe(
      '{\n  "docker": {\n    "socketPath": "/s"\n  },\n  "s3": {\n    "forcePathStyle": true,\n    "port": 1\n  },\n  "writtenAt": "w"\n}\n',
    );
  });

  it('formats writtenAt in whole seconds', () => {
    expect(formatWrittenAt(new Date('2026-12-01T14:13:26.5Z'))).toBe('2026-12-01T14:13:26Z');
  });
});
