import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has the defaults the tests and docs name', () => {
    const config = loadConfig({}, '/repo', '/root');
    expect(config.envFile).toBe('/repo/.berth-test-env.json');
    expect(config.registry.host).toBe('127.0.0.1:5000');
    expect(config.sshd).toMatchObject({ port: 2222, user: 'berth', baseDir: '/opt/berth' });
    expect(config.ssh.clientKey).toBe('/var/lib/berth-test-env/ssh/client/id_ed25519');
    expect(config.systemdHost).toMatchObject({
      port: 2223,
      container: 'berth-test-systemd-host',
      caddyPath: '/usr/bin/caddy',
    });
    expect(config.postgres.port).toBe(55432);
    expect(config.s3.endpoint).toBe('http://127.0.0.1:55433');
    expect(config.images).toMatchObject({
      busybox: 'berth/busybox:test',
      node: 'berth/node:24',
      healthService: 'berth/health-service:test',
      caddy: 'berth/caddy:2.6',
      systemdHost: 'berth/systemd-host:bookworm',
      nodeDir: '/root/.berth/node-24',
    });
    expect(config.docker.storageDriverFallbacks).toEqual(['overlay2', 'fuse-overlayfs', 'vfs']);
  });

  it('moves everything with the environment variables, so a second environment runs beside the first', () => {
    const config = loadConfig(
      {
        BERTH_TEST_ENV_STATE_DIR: '/srv/state',
        BERTH_TEST_ENV_LOG_DIR: '/srv/log',
        BERTH_TEST_ENV_IMAGE_NAMESPACE: 'mine',
        BERTH_REGISTRY_PORT: '5100',
        BERTH_SSHD_PORT: '2232',
        BERTH_SYSTEMD_HOST_SSH_PORT: '2233',
        BERTH_SYSTEMD_HOST_CONTAINER: 'other-host',
        BERTH_POSTGRES_PORT: '55442',
        BERTH_S3_PORT: '55443',
        BERTH_DOCKER_STORAGE_DRIVERS: 'vfs  overlay2',
        BERTH_TEST_ENV_FILE: '',
      },
      '/repo',
    );
    expect(config.envFile).toBe('/repo/.berth-test-env.json');
    expect(config.registry).toMatchObject({
      host: '127.0.0.1:5100',
      config: '/srv/state/registry/config.yml',
      log: '/srv/log/berth-registry.log',
    });
    expect(config.sshd.pidFile).toBe('/srv/state/ssh/sshd/sshd.pid');
    expect(config.systemdHost).toMatchObject({ port: 2233, container: 'other-host' });
    expect(config.images.caddy).toBe('mine/caddy:2.6');
    expect(config.postgres.data).toBe('/srv/state/postgres/data');
    expect(config.s3.endpoint).toBe('http://127.0.0.1:55443');
    expect(config.docker.storageDriverFallbacks).toEqual(['vfs', 'overlay2']);
  });

  it('rejects a port that is not one', () => {
    expect(() => loadConfig({ BERTH_SSHD_PORT: '22x' }, '/repo')).toThrow(
      'BERTH_SSHD_PORT=22x is not a TCP port (1-65535)',
    );
    expect(() => loadConfig({ BERTH_S3_PORT: '70000' }, '/repo')).toThrow('BERTH_S3_PORT=70000');
  });
});
