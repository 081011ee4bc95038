import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

const selfModule = fileURLToPath(new URL('./define-config.ts', import.meta.url));
let dir: string;

/** Run berth in-process; returns the exit code and what it printed. */
async function berth(args: string[], options: { confirm?: (question: string) => Promise<boolean> } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    io: {
      stdout: {
        write: (text: string) => {
          stdout += text;
        },
        isTTY: false,
      },
      stderr: {
        write: (text: string) => {
          stderr += text;
        },
      },
      env: { PATH: process.env.PATH ?? '' },
      cwd: dir,
      ...(options.confirm ? { confirm: options.confirm } : {}),
    },
    signal: new AbortController().signal,
    selfModule,
  });
  return { code, stdout, stderr };
}

const twoServices = {
  services: {
    api: { spec: { image: { ref: 'nginx:1' } } },
    web: { dependsOn: ['api'], spec: { image: { ref: 'nginx:1' } } },
  },
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('berth: parsing and usage errors exit 2', () => {
  it('shows help and exits 2 without a command; --help and --version exit 0', async () => {
    const bare = await berth([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('Usage: berth');
    expect((await berth(['--help'])).code).toBe(0);
    const version = await berth(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('rejects an unknown command and an unknown flag', async () => {
    const command = await berth(['deploy']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'deploy'");
    const flag = await berth(['up', '--colour']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--colour'");
  });

  it('says how to start when there is no config', async () => {
    const result = await berth(['up']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('berth.config.ts');
    expect(result.stderr).toContain('berth init');
  });

  it('names the flag and the fix of bad flag values', async () => {
    await writeFile(join(dir, 'berth.config.json'), JSON.stringify(twoServices));
    const timeout = await berth(['up', '--timeout', 'soon']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--timeout: "soon" is not a duration');
    expect(timeout.stderr).toContain('90s');
    const service = await berth(['plan', '--service', 'db']);
    expect(service.code).toBe(2);
    expect(service.stderr).toContain('--service: "db" not in services');
    const env = await berth(['plan', '--env', 'Prod']);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('"Prod" is not an environment label');
    const to = await berth(['rollback', '--to', 'r1']);
    expect(to.code).toBe(2);
    expect(to.stderr).toContain('Add --service NAME');
    const promote = await berth(['promote', '--to', 'prod']);
    expect(promote.code).toBe(2);
    expect(promote.stderr).toContain('berth promote --from staging --to prod');
    const concurrency = await berth(['up', '--concurrency', '0']);
    expect(concurrency.code).toBe(2);
  });

  it('prints a config error with the file, the field and the fix, and with --json only JSON on stdout', async () => {
    await writeFile(
      join(dir, 'berth.config.json'),
      JSON.stringify({ services: { api: { spec: { image: { ref: 'nginx:1' }, port: 0 } } } }),
    );
    const plain = await berth(['up']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain(`${join(dir, 'berth.config.json')}: services.api.spec.port`);
    expect(plain.stderr).toContain('hint:');
    const json = await berth(['up', '--json']);
    expect(json.code).toBe(2);
    const lines = json.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'error', error: { code: 'SPEC_INVALID' } });
  });

  it('refuses a credential read from an unset environment variable before anything runs', async () => {
    await writeFile(
      join(dir, 'berth.config.json'),
      JSON.stringify({
        ...twoServices,
        targets: {
          local: {
            kind: 'local-docker',
            options: {
              registry: { host: '127.0.0.1:5000', username: 'u', password: { fromEnv: 'BERTH_TEST_UNSET' } },
            },
          },
        },
      }),
    );
    const result = await berth(['up']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'targets.local.options.registry.password.fromEnv: environment variable BERTH_TEST_UNSET is not set',
    );
  });

  it('names a provider option the provider rejects, as a config field', async () => {
    await writeFile(
      join(dir, 'berth.config.json'),
      JSON.stringify({
        ...twoServices,
        targets: { local: { kind: 'local-docker', options: { hostPort: 70000 } } },
      }),
    );
    const result = await berth(['plan']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('targets.local.options.hostPort');
  });
});

describe('berth init', () => {
  it('writes a config, a Dockerfile and a .dockerignore for a Node folder; never overwrites without --force', async () => {
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: '@acme/My_Service', scripts: { start: 'node server.js' } }),
    );
    const first = await berth(['init', '--port', '3000']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('wrote berth.config.ts');
    const config = await readFile(join(dir, 'berth.config.ts'), 'utf8');
    expect(config).toContain("'my-service': {");
    expect(config).toContain('port: 3000');
    const dockerfile = await readFile(join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('CMD ["node", "server.js"]');
    expect(dockerfile).toContain('EXPOSE 3000');
    expect(await readFile(join(dir, '.dockerignore'), 'utf8')).toContain('node_modules');
    // The written config loads and validates.
    expect((await berth(['plan', '--service', 'nope'])).stderr).toContain('Use one of "my-service"');

    await writeFile(join(dir, 'Dockerfile'), 'FROM mine\n');
    const again = await berth(['init']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(again.stderr).toContain('--force');
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toBe('FROM mine\n');
    expect((await berth(['init', '--force'])).code).toBe(0);
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toContain('berth init');
  });

  it('keeps an existing Dockerfile and writes one for Python', async () => {
    await writeFile(join(dir, 'requirements.txt'), 'flask\n');
    await writeFile(join(dir, 'app.py'), 'print(1)\n');
    const result = await berth(['init', '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({
      kind: 'python',
      written: ['berth.config.ts', 'Dockerfile', '.dockerignore'],
    });
    const dockerfile = await readFile(join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('pip install --no-cache-dir -r requirements.txt');
    expect(dockerfile).toContain(
      `CMD ["sh", "-c", "exec flask --app app run --host 0.0.0.0 --port \${PORT}"]`,
    );
    expect(await readFile(join(dir, '.dockerignore'), 'utf8')).toContain('__pycache__');
  });
});

describe('berth down', () => {
  it('asks first on a terminal and removes nothing when declined', async () => {
    await writeFile(join(dir, 'berth.config.json'), JSON.stringify(twoServices));
    const questions: string[] = [];
    const declined = await berth(['down', '--env', 'prod'], {
      confirm: async (question) => {
        questions.push(question);
        return false;
      },
    });
    expect(declined.code).toBe(0);
    expect(questions).toEqual(['Remove them? [y/N] ']);
    expect(declined.stderr).toContain(
      'This removes api-prod (target local), web-prod (target local): the services, the secrets Berth created.',
    );
    expect(declined.stderr).toContain('kept: nothing was removed');
    // Nothing ran: no summary, no result.
    expect(declined.stdout).toBe('');
  });
});

describe('berth clean', () => {
  it('says state and history stay in a team store', async () => {
    await writeFile(
      join(dir, 'berth.config.json'),
      JSON.stringify({
        ...twoServices,
        state: { kind: 'postgres', options: { connectionString: { fromEnv: 'DATABASE_URL' } } },
      }),
    );
    await import('node:fs/promises').then((fs) =>
      fs.mkdir(join(dir, '.deployment', 'logs'), { recursive: true }),
    );
    const declined = await berth(['clean'], { confirm: async () => false });
    expect(declined.code).toBe(0);
    expect(declined.stdout).toContain('State and history stay in the postgres store.');
  });

  it('asks first, refuses without a terminal unless --yes, and removes .deployment/', async () => {
    await writeFile(join(dir, 'berth.config.json'), JSON.stringify(twoServices));
    await berth(['plan', '--service', 'zzz']);
    await import('node:fs/promises').then((fs) =>
      fs.mkdir(join(dir, '.deployment', 'logs'), { recursive: true }),
    );
    const refused = await berth(['clean']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const questions: string[] = [];
    const declined = await berth(['clean'], {
      confirm: async (question) => {
        questions.push(question);
        return false;
      },
    });
    expect(declined.code).toBe(0);
    expect(questions).toEqual(['Remove it? [y/N] ']);
    expect(await readdir(join(dir, '.deployment'))).toContain('logs');
    const removed = await berth(['clean', '--yes']);
    expect(removed.code).toBe(0);
    await expect(stat(join(dir, '.deployment'))).rejects.toThrow();
  });
});
