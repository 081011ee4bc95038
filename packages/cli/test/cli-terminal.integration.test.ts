/**
 * `berth` in a real terminal (tmux), asserted on what the screen shows: the live view's phases and
 * progress, the summary, the masked key; colours on a TTY but not with NO_COLOR; no escape codes
 * when piped; Ctrl-C stops the run through its AbortSignal (exit 130).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import {
  freePort,
  removeServices,
  temporaryFolder,
  testDocker,
  uniqueName,
} from '../../provider-ssh/test/docker-test-kit.js';
import { berthCommandLine } from './cli-kit.js';

const env = requireTestEnvironment(['docker', 'images']);
// tmux is part of the test environment (scripts/test-env.sh installs it): missing, this fails.
const version = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
if (version.status !== 0)
  throw new Error(
    'tmux is missing: run `bash scripts/test-env.sh` (or `apt-get install -y tmux`); the terminal tests need it',
  );

const docker = testDocker(env.docker.socketPath);
const socket = `berth-cli-${randomBytes(4).toString('hex')}`;
const name = uniqueName('cli-tty');
const project = await temporaryFolder('berth-cli-tty');
const secrets = await temporaryFolder('berth-cli-tty-secrets');
const port = await freePort();
// Outside the build context: a file written there would change the image's fingerprint.
const outputs = await temporaryFolder('berth-cli-tty-out');
const ESCAPE = /\u001b\[/;
const COLOUR = /\u001b\[(3\d|1|2)m/;

function tmux(...args: string[]): string {
  const result = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The visible screen; `escapes` keeps colour and attribute sequences. */
const screen = (escapes = false) =>
  tmux('capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-t', 'berth');

/** Poll the screen until `done` holds (a deploy takes seconds; nothing here measures time). */
async function waitForScreen(done: (text: string) => boolean, attempts = 900): Promise<string> {
  let text = '';
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    text = screen();
    if (done(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the screen never showed what was expected:\n${text}`);
}

/** Type a command into the terminal, as a person would, and wait for its exit code. */
async function typeCommand(command: string): Promise<{ screen: string; code: number }> {
  tmux('send-keys', '-t', 'berth', 'clear', 'Enter');
  const marker = `EXIT-${randomBytes(3).toString('hex')}`;
  tmux('send-keys', '-t', 'berth', `${command}; echo ${marker}=$?`, 'Enter');
  const text = await waitForScreen((current) => new RegExp(`^${marker}=\\d+`, 'm').test(current));
  return { screen: text, code: Number(new RegExp(`^${marker}=(\\d+)`, 'm').exec(text)?.[1]) };
}

function config(options: { broken?: boolean; stuck?: boolean } = {}) {
  return `export default {
  targets: { local: { kind: 'local-docker', options: { hostPort: ${port}, stopTimeoutSeconds: 1, secretsDir: ${JSON.stringify(secrets.path)} } } },
  services: {
    '${name}': {
      spec: {
        image: { build: { context: '.' } },
        env: { PORT: '8000'${options.broken ? ", BROKEN: '1'" : ''} },
        secrets: { API_KEY: { generate: 'api-key' } },
        health: { path: '/.well-known/health', timeoutMs: ${options.broken ? 120000 : 60000}, intervalMs: 200, maxIntervalMs: 500 },
      },${
        options.stuck
          ? `
      hooks: [{ name: 'stuck', before: 'verify', run: () => new Promise((resolve) => setTimeout(resolve, 600000)) }],`
          : ''
      }
    },
  },
};
`;
}

const berth = berthCommandLine();

beforeAll(async () => {
  await writeFile(
    join(project.path, 'package.json'),
    JSON.stringify({ name, private: true, scripts: { start: 'node server.mjs' } }),
  );
  await writeFile(
    join(project.path, 'server.mjs'),
    `import { createServer } from 'node:http';
createServer((request, response) => {
  const ok = process.env.BROKEN !== '1';
  response.writeHead(ok ? 200 : 500, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ status: ok ? 'ok' : 'failing' }));
}).listen(Number(process.env.PORT ?? 8000), '0.0.0.0');
`,
  );
  await writeFile(
    join(project.path, 'Dockerfile'),
    `FROM ${env.images.node}\nWORKDIR /app\nCOPY package.json server.mjs ./\nUSER node\nCMD ["node", "server.mjs"]\n`,
  );
  await writeFile(join(project.path, '.dockerignore'), '.deployment\n');
  await writeFile(join(project.path, 'berth.config.ts'), config());
  // A terminal of 160×50, CI unset so the live view is on (as for a person at a terminal).
  tmux(
    'new-session',
    '-d',
    '-s',
    'berth',
    '-x',
    '160',
    '-y',
    '50',
    '-c',
    project.path,
    'env -u CI -u NO_COLOR TERM=xterm-256color bash --norc --noprofile',
  );
  tmux('set-option', '-t', 'berth', 'history-limit', '5000');
});

afterAll(async () => {
  spawnSync('tmux', ['-L', socket, 'kill-server']);
  await removeServices(docker, [`${name}-dev`]);
  await project.remove();
  await secrets.remove();
  await outputs.remove();
});

/** The generated key's value, read from the local secret store (to prove it never reaches the screen). */
async function generatedKey(): Promise<string> {
  const files = (await readdir(secrets.path, { recursive: true })).filter((file) => !file.endsWith('.json'));
  for (const file of files) {
    const content = await readFile(join(secrets.path, file), 'utf8').catch(() => '');
    if (content.trim().length >= 32) return content.trim();
  }
  throw new Error('no generated key in the secret store');
}

describe('berth in a terminal', () => {
  it('shows a live view of the phases with build progress, then the summary with the key masked', async () => {
    const { screen: text, code } = await typeCommand(`${berth} up`);
    expect(code, text).toBe(0);
    // The final frame of the live view: each phase with its duration, the build's progress bar.
    expect(text).toMatch(new RegExp(`✓ ${name}-dev\\s+succeeded`));
    expect(text).toMatch(/✓ image \d+(\.\d)?m?s \(build \[#+\] 100% \d+\/\d+ steps\)/);
    expect(text).toMatch(/✓ verify \d+(\.\d)?m?s \(\d+ health attempt\(s\)\)/);
    // The summary: URL, revision, digest, durations, the masked key.
    expect(text).toContain('Summary');
    expect(text).toMatch(
      new RegExp(
        `✓ ${name}-dev\\s+succeeded\\s+http://127\\.0\\.0\\.1:${port}\\s+revision \\S+\\s+sha256:[0-9a-f]{12}\\s+\\d`,
      ),
    );
    expect(text).toMatch(/secret API_KEY = .{4}…\(\d+ chars\)/);
    expect(text).not.toContain(await generatedKey());
    expect(text).toMatch(/log: .*\.deployment\/logs\//);
    // A terminal gets colours.
    expect(screen(true)).toMatch(COLOUR);
  });

  it('has no colours with NO_COLOR', async () => {
    const { screen: text, code } = await typeCommand(`NO_COLOR=1 ${berth} up`);
    expect(code).toBe(0);
    expect(text).toMatch(new RegExp(`✓ ${name}-dev\\s+noop`));
    expect(screen(true)).not.toMatch(COLOUR);
  });

  it('prints plain lines without escape codes when piped', async () => {
    await writeFile(
      join(project.path, 'berth.config.ts'),
      config().replace("PORT: '8000'", "PORT: '8000', MODE: 'piped'"),
    );
    const { code } = await typeCommand(`${berth} up > ${join(outputs.path, 'piped.txt')} 2>&1`);
    expect(code).toBe(0);
    const piped = await readFile(join(outputs.path, 'piped.txt'), 'utf8');
    expect(piped).not.toMatch(ESCAPE);
    expect(piped).toContain(`${name}-dev  deploy succeeded`);
    expect(piped).toMatch(new RegExp(`${name}-dev  health /.well-known/health round \\d+: ok 200`));
    expect(piped).toMatch(/secret API_KEY = .{4}…\(\d+ chars\)/);
    expect(piped).not.toContain(await generatedKey());
    const plan = await typeCommand(`${berth} plan | cat > ${join(outputs.path, 'plan.txt')}`);
    expect(plan.code).toBe(0);
    expect(await readFile(join(outputs.path, 'plan.txt'), 'utf8')).toBe(
      `${name}-dev  no changes  (target local)\n`,
    );
  });

  it('Ctrl-C stops a run at its next safe point and exits 130', async () => {
    await writeFile(join(project.path, 'berth.config.ts'), config({ broken: true }));
    tmux('send-keys', '-t', 'berth', 'clear', 'Enter');
    tmux('send-keys', '-t', 'berth', `${berth} up; echo INTERRUPTED=$?`, 'Enter');
    // Wait until the live view shows failing health attempts, then press Ctrl-C once.
    await waitForScreen((text) => /verify health \d+ attempt\(s\), last status 500/.test(text));
    tmux('send-keys', '-t', 'berth', 'C-c');
    const text = await waitForScreen((current) => /^INTERRUPTED=\d+/m.test(current));
    expect(text).toContain('stopping at the next safe point (Ctrl-C again to force)');
    expect(text).toMatch(/^INTERRUPTED=130/m);
    expect(text).toContain('DEPLOY_ABORTED');
  });

  it('a second Ctrl-C forces the exit at once: 130, and the screen says what may be left and what to run', async () => {
    await writeFile(
      join(project.path, 'berth.config.ts'),
      config({ stuck: true }).replace("PORT: '8000'", "PORT: '8000', MODE: 'stuck'"),
    );
    tmux('send-keys', '-t', 'berth', 'clear', 'Enter');
    tmux('send-keys', '-t', 'berth', `${berth} up; echo FORCED=$?`, 'Enter');
    // The live view reaches the hook before verify (deploy done), where the run waits.
    await waitForScreen((text) => /✓ deploy \d/.test(text));
    tmux('send-keys', '-t', 'berth', 'C-c');
    await waitForScreen((text) => text.includes('Ctrl-C again to force'));
    tmux('send-keys', '-t', 'berth', 'C-c');
    const text = await waitForScreen((current) => /^FORCED=\d+/m.test(current));
    expect(text).toMatch(/^FORCED=130/m);
    expect(text).toContain(`berth: forced exit before a safe point: ${name}-dev may be mid-change.`);
    expect(text).toContain('Run `berth status` to see what is live, then `berth up` to converge');
    expect(text).not.toContain('Summary');
  });
});
