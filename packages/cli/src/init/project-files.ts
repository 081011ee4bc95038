/** What `berth init` writes for a folder: a starter config and, when missing, a Dockerfile and .dockerignore. Pure. */

/** What init found in the folder. */
export interface ProjectFacts {
  /** Folder name, used for the service name. */
  folder: string;
  /** `package.json`, parsed, when present. */
  packageJson?: {
    name?: string;
    main?: string;
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  /** Python markers: requirements.txt, pyproject.toml, main.py, app.py. */
  python?: { requirements: boolean; pyproject: boolean; entry?: string };
}

export type ProjectKind = 'node' | 'python' | 'unknown';

export function projectKind(facts: ProjectFacts): ProjectKind {
  if (facts.packageJson) return 'node';
  if (facts.python) return 'python';
  return 'unknown';
}

/** A DNS-label service name from a folder or package name. */
export function serviceName(facts: ProjectFacts): string {
  const raw = (facts.packageJson?.name ?? facts.folder).replace(/^@[^/]+\//, '');
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 40);
  return name || 'app';
}

/** The Dockerfile for the folder. `baseImage` overrides the public base image (ARG BASE_IMAGE). */
export function dockerfileFor(facts: ProjectFacts, port: number, baseImage?: string): string {
  const kind = projectKind(facts);
  if (kind === 'python') {
    const entry = facts.python?.entry ?? 'main.py';
    return [
      '# Written by `berth init` for a Python service. The service must listen on 0.0.0.0:$PORT.',
      `ARG BASE_IMAGE=${baseImage ?? 'python:3.12-slim'}`,
      `FROM \${BASE_IMAGE}`,
      'WORKDIR /app',
      'ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1',
      ...(facts.python?.requirements
        ? ['COPY requirements.txt ./', 'RUN pip install --no-cache-dir -r requirements.txt']
        : facts.python?.pyproject
          ? ['COPY pyproject.toml ./', 'RUN pip install --no-cache-dir .']
          : []),
      'COPY . .',
      'RUN useradd --create-home app || true',
      'USER app',
      `ENV PORT=${port}`,
      `EXPOSE ${port}`,
      `CMD ["python", "${entry}"]`,
      '',
    ].join('\n');
  }
  const scripts = facts.packageJson?.scripts ?? {};
  // `node file` runs without npm (minimal base images have none); anything else goes through npm.
  const direct = /^node\s+([\w./-]+)$/.exec(scripts.start?.trim() ?? '');
  const command = direct
    ? `["node", "${direct[1]}"]`
    : scripts.start
      ? '["npm", "start"]'
      : `["node", "${facts.packageJson?.main ?? 'index.js'}"]`;
  const hasDependencies = Object.keys(facts.packageJson?.dependencies ?? {}).length > 0;
  return [
    '# Written by `berth init` for a Node service. The service must listen on 0.0.0.0:$PORT.',
    `ARG BASE_IMAGE=${baseImage ?? 'node:24-slim'}`,
    `FROM \${BASE_IMAGE}`,
    'WORKDIR /app',
    'ENV NODE_ENV=production',
    'COPY package*.json ./',
    ...(hasDependencies
      ? ['RUN if [ -f package-lock.json ]; then npm ci --omit=dev; else npm install --omit=dev; fi']
      : []),
    'COPY . .',
    'USER node',
    `ENV PORT=${port}`,
    `EXPOSE ${port}`,
    `CMD ${command}`,
    '',
  ].join('\n');
}

/** The .dockerignore for the folder: nothing local, secret or heavy goes into the image. */
export function dockerignoreFor(facts: ProjectFacts): string {
  const common = [
    '.git',
    '.deployment',
    '.env',
    '.env.*',
    '*.log',
    'Dockerfile',
    '.dockerignore',
    'berth.config.*',
  ];
  const specific =
    projectKind(facts) === 'python'
      ? ['__pycache__', '*.pyc', '.venv', 'venv', '.pytest_cache']
      : ['node_modules', 'npm-debug.log*', 'coverage', '.npm'];
  return `${[...common, ...specific].join('\n')}\n`;
}

/** The starter berth.config.ts. */
export function starterConfig(options: { name: string; port: number; healthPath: string }): string {
  return `import { defineConfig } from '@berth/cli';

/**
 * Berth's config: the services of this folder and where they deploy. Commit it: secrets appear
 * only by reference ({ fromEnv }, { fromFile }, { generate }). Reference: docs/cli.md.
 */
export default defineConfig({
  targets: {
    // The Docker engine of this machine. Add e.g. { kind: 'cloud-run', options: { project, region } }.
    local: { kind: 'local-docker', options: {} },
  },
  services: {
    '${options.name}': {
      target: 'local',
      spec: {
        image: { build: { context: '.' } },
        port: ${options.port},
        env: { PORT: '${options.port}' },
        secrets: { API_KEY: { generate: 'api-key' } },
        health: { path: '${options.healthPath}' },
      },
      environments: {
        prod: { resources: { memory: '512Mi' }, env: { LOG_LEVEL: 'warn' } },
      },
    },
  },
});
`;
}
