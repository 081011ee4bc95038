import { describe, expect, it } from 'vitest';
import { caddyDebIn } from './caddy-binary.ts';
import { loadConfig } from './config.ts';
import { demultiplex, splitReference } from './docker-client.ts';
import { parseLddOutput } from './node-binary.ts';
import { connectionString, renderPostgresConf } from './postgres.ts';
import { caddyImageChanges } from './proxy.ts';
import { renderRegistryConfig } from './registry.ts';
import { ownedLeftover } from './reset.ts';
import { shebangInterpreter } from './s3.ts';
import { renderKnownHosts } from './ssh-keys.ts';
import { renderSshdConfig } from './sshd.ts';
import { fallbackDrivers, withStorageDriver } from './storage-driver.ts';
import { renderSystemdHostSshdConfig } from './systemd-host.ts';
import { debianMirrorFrom, rootfsTarballName } from './systemd-rootfs.ts';
import { parseIds } from './users.ts';

const config = loadConfig({}, '/repo');

describe('rendered configuration', () => {
  it('registry: htpasswd auth on loopback, data and secret in the state directory', () => {
    const text = renderRegistryConfig(config.registry, 's3cret');
    expect(text).toContain('  addr: 127.0.0.1:5000\n  secret: s3cret\n');
    expect(text).toContain('    rootdirectory: /var/lib/berth-test-env/registry/data\n');
    expect(text).toContain(
      '  htpasswd:\n    realm: berth-test-registry\n    path: /var/lib/berth-test-env/registry/htpasswd\n',
    );
    // The first line is what the bash version wrote: an upgrade must not rewrite the file and restart the registry.
    expect(text.split('\n')[0]).toBe('# Written by scripts/test-env.sh: edits are overwritten.');
  });

  it('sshd: key authentication only, for the berth user, on its port', () => {
    const lines = renderSshdConfig(config.sshd).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'Port 2222',
        'ListenAddress 127.0.0.1',
        'AllowUsers berth',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AuthenticationMethods publickey',
        'PidFile /var/lib/berth-test-env/ssh/sshd/sshd.pid',
      ]),
    );
  });

  it('systemd host sshd drop-in: root by key only on the given port', () => {
    const text = renderSystemdHostSshdConfig(2233);
    expect(text).toContain('Port 2233\nListenAddress 127.0.0.1\n');
    expect(text).toContain('PermitRootLogin prohibit-password\n');
    expect(text).toContain('AuthenticationMethods publickey\n');
  });

  it('postgres: loopback, its port, its own socket folder', () => {
    expect(renderPostgresConf(config.postgres)).toBe(
      "# scripts/test-env.sh\nlisten_addresses = '127.0.0.1'\nport = 55432\nunix_socket_directories = '/var/lib/berth-test-env/postgres'\nmax_connections = 200\nfsync = on\n",
    );
    expect(connectionString('berth', 'pw', '127.0.0.1', 55432, 'berth')).toBe(
      'postgres://berth:pw@127.0.0.1:55432/berth',
    );
  });

  it('known_hosts: one plain entry per host key that exists', () => {
    expect(
      renderKnownHosts([
        { port: 2222, publicKey: 'ssh-ed25519 AAAA berth-test-sshd\n' },
        { port: 2223, publicKey: undefined },
      ]),
    ).toBe('[127.0.0.1]:2222 ssh-ed25519 AAAA\n');
  });

  it('caddy image: PATH and XDG folders set, its source hash as a label', () => {
    expect(caddyImageChanges('dev.berth.test-env.source-hash', 'abc')).toEqual([
      'ENV PATH=/usr/bin:/bin',
      'ENV XDG_DATA_HOME=/data',
      'ENV XDG_CONFIG_HOME=/config',
      'CMD ["caddy", "run"]',
      'LABEL dev.berth.test-env.source-hash=abc',
    ]);
  });
});

describe('parsing what programs print', () => {
  it('ldd: libraries and the loader, without the vdso', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibzstd.so.1 => /lib/x86_64-linux-gnu/libzstd.so.1 (0x00007f37)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f37)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f37)',
    ].join('\n');
    expect(parseLddOutput(output)).toEqual([
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/libzstd.so.1',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('apt sources: the first Debian URI, one-line or deb822, else deb.debian.org', () => {
    expect(debianMirrorFrom(['deb [arch=amd64] http://mirror.example/debian bookworm main\n'])).toBe(
      'http://mirror.example/debian',
    );
    expect(debianMirrorFrom(['', 'Types: deb\nURIs: http://deb.example/debian/\nSuites: bookworm\n'])).toBe(
      'http://deb.example/debian/',
    );
    expect(debianMirrorFrom(['deb http://security.example/debian-security bookworm-security main\n'])).toBe(
      'http://deb.debian.org/debian',
    );
  });

  it('the debootstrap cache keeps the bash version name, so the cached tarball is reused', () => {
    expect(
      rootfsTarballName(
        'bookworm',
        'systemd,systemd-sysv,openssh-server,dbus',
        'http://deb.debian.org/debian',
      ),
    ).toBe('debootstrap-bookworm-minbase-93c99e54e9bd4db6.tar.gz');
  });

  it('image references, docker stream frames, ids, shebangs, the caddy .deb', () => {
    expect(splitReference('berth/caddy:2.6')).toEqual({ repo: 'berth/caddy', tag: '2.6' });
    expect(splitReference('127.0.0.1:5000/x')).toEqual({ repo: '127.0.0.1:5000/x', tag: 'latest' });
    const frame = (kind: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = kind;
      header.writeUInt32BE(text.length, 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    expect(demultiplex(Buffer.concat([frame(1, 'out'), frame(2, 'err'), frame(1, '!')]))).toEqual({
      stdout: 'out!',
      stderr: 'err',
    });
    expect(parseIds('uid=999(berth) gid=996(berth) groups=996(berth),995(docker)')).toEqual({
      uid: 999,
      gid: 996,
    });
    expect(shebangInterpreter('#! /root/.pyenv/versions/3.11.7/bin/python3.11\nimport x')).toBe(
      '/root/.pyenv/versions/3.11.7/bin/python3.11',
    );
    expect(shebangInterpreter('import x')).toBeUndefined();
    expect(caddyDebIn(['x.txt', 'caddy_2.6.2-5_amd64.deb'])).toBe('caddy_2.6.2-5_amd64.deb');
    expect(caddyDebIn([])).toBeUndefined();
  });
});

describe('decisions', () => {
  it('daemon.json keeps its settings when the storage driver changes', () => {
    expect(JSON.parse(withStorageDriver('{"debug": true, "storage-driver": "overlay2"}', 'vfs'))).toEqual({
      debug: true,
      'storage-driver': 'vfs',
    });
    expect(JSON.parse(withStorageDriver(undefined, 'vfs'))).toEqual({ 'storage-driver': 'vfs' });
    expect(() => withStorageDriver('[1]', 'vfs')).toThrow('not a JSON object');
    expect(fallbackDrivers(['overlay2', 'fuse-overlayfs', 'vfs'], 'overlay2')).toEqual([
      'fuse-overlayfs',
      'vfs',
    ]);
  });

  it('--reset removes only images of its own namespace, the self-check repository, or untagged ones', () => {
    const selfCheck = '127.0.0.1:5100/berth-test-env/self-check';
    expect(ownedLeftover(['mine/node:24'], 'mine', selfCheck)).toBe(true);
    expect(ownedLeftover([], 'mine', selfCheck)).toBe(true);
    expect(ownedLeftover(['<none>:<none>'], 'mine', selfCheck)).toBe(true);
    expect(ownedLeftover([`${selfCheck}:latest`], 'mine', selfCheck)).toBe(true);
    expect(ownedLeftover(['berth/node:24'], 'mine', selfCheck)).toBe(false);
    expect(ownedLeftover(['mine/node:24', 'berth/node:24'], 'mine', selfCheck)).toBe(false);
  });
});
