/**
 * Child process for the lazy-loading tests: does one thing with @berth/provider-ssh, then prints
 * the packages it loaded (CommonJS packages such as dockerode and ssh2 land in `require.cache`
 * even when imported from ESM) as JSON on stdout.
 *
 *   node --import tsx packages/provider-ssh/test/loaded-packages.ts <mode> [json input]
 *
 * Modes: `import` (import the package), `docker-client` (make the SSH Docker client: a control
 * that must load dockerode), `systemd` (deploy with the systemd method, then take it down; the
 * input has `ssh`, `baseDir`, `folder`, `port`, `secretsDir`, `nodePath`).
 */
import { createRequire } from 'node:module';

const [mode = 'import', input = '{}'] = process.argv.slice(2);
const settings = JSON.parse(input) as Record<string, unknown>;
const result: Record<string, unknown> = { mode };

const ssh = await import('../src/index.js');
if (mode === 'docker-client') {
  const connection = ssh.sshConnection({ host: '127.0.0.1', username: 'nobody', privateKey: 'unused' });
  await ssh.dockerOverSsh(connection);
} else if (mode === 'systemd') {
  const { createDeployer, memoryStateStore } = await import('@berth/core');
  const provider = ssh.sshHost({
    method: 'systemd',
    ssh: settings.ssh as never,
    baseDir: settings.baseDir as string,
    start: [settings.nodePath as string, 'server.js'],
    secretsDir: settings.secretsDir as string,
  });
  const deployer = createDeployer({ provider, state: memoryStateStore() });
  const spec = {
    name: settings.name as string,
    image: { build: { context: settings.folder as string } },
    port: settings.port as number,
    health: { timeoutMs: 60_000 },
  };
  const up = await deployer.up(spec);
  const again = await deployer.up(spec);
  const down = await deployer.down(spec);
  result.statuses = [up.status, again.status, down.status];
  result.error = up.error?.message ?? down.error?.message;
  await deployer.close?.();
}

const packages = new Set<string>();
for (const path of Object.keys(createRequire(import.meta.url).cache)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(path);
  if (match?.[1]) packages.add(match[1]);
}
result.packages = [...packages].sort();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
