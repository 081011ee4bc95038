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
  python?: {
    requirements: boolean;
    pyproject: boolean;
    entry?: string;
    /** Names of the declared dependencies (requirements.txt, pyproject's `dependencies`), lowercase. */
    dependencies?: string[];
  };
}

/** Dependency names of a requirements.txt. Pure. */
export function requirementNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0 && !line.startsWith('-'))
    .map((line) => (/^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(line)?.[0] ?? '').toLowerCase())
    .filter(Boolean);
}

/** Dependency names in pyproject.toml's `dependencies = [ … ]` (PEP 621). Pure, not a TOML parser. */
export function pyprojectDependencyNames(text: string): string[] {
  const list = /^\s*dependencies\s*=\s*\[([\s\S]*?)\]/m.exec(text)?.[1] ?? '';
  return [...list.matchAll(/["']([A-Za-z0-9][A-Za-z0-9._-]*)/g)].map((match) =>
    (match[1] as string).toLowerCase(),
  );
}

/** How a Python service starts: an ASGI/WSGI server when the dependencies name one, else `python entry`. */
function pythonCommand(facts: ProjectFacts): { cmd: string; note?: string } {
  const entry = facts.python?.entry ?? 'main.py';
  const module = entry.replace(/\.py$/, '');
  const dependencies = new Set(facts.python?.dependencies ?? []);
  const shell = (command: string) => `["sh", "-c", ${JSON.stringify(`exec ${command}`)}]`;
  if (dependencies.has('uvicorn') || dependencies.has('fastapi'))
    return {
      cmd: shell(`uvicorn ${module}:app --host 0.0.0.0 --port \${PORT}`),
      ...(dependencies.has('uvicorn')
        ? {}
        : { note: '# FastAPI needs an ASGI server: add uvicorn to your dependencies.' }),
    };
  if (dependencies.has('gunicorn')) return { cmd: shell(`gunicorn --bind 0.0.0.0:\${PORT} ${module}:app`) };
  if (dependencies.has('flask'))
    return {
      cmd: shell(`flask --app ${module} run --host 0.0.0.0 --port \${PORT}`),
      note: "# Flask's own server is for development: add gunicorn to your dependencies for production.",
    };
  return { cmd: `["python", "${entry}"]` };
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
    const { cmd, note } = pythonCommand(facts);
    return [
      '# Written by `berth init` for a Python service. The service must listen on 0.0.0.0:$PORT.',
      `ARG BASE_IMAGE=${baseImage ?? 'python:3.12-slim'}`,
      `FROM \${BASE_IMAGE}`,
      'WORKDIR /app',
      'ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1',
      ...(facts.python?.requirements
        ? ['COPY requirements.txt ./', 'RUN pip install --no-cache-dir -r requirements.txt', 'COPY . .']
        : facts.python?.pyproject
          ? // The project itself is installed: its sources must be there first.
            ['COPY . .', 'RUN pip install --no-cache-dir .']
          : ['COPY . .']),
      'RUN useradd --create-home --uid 10001 app',
      'USER app',
      `ENV PORT=${port}`,
      `EXPOSE ${port}`,
      ...(note ? [note] : []),
      `CMD ${cmd}`,
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
  const install = (flags: string) =>
    `RUN if [ -f package-lock.json ]; then npm ci${flags}; else npm install${flags}; fi`;
  const runtime = [
    'ENV NODE_ENV=production',
    'USER node',
    `ENV PORT=${port}`,
    `EXPOSE ${port}`,
    `CMD ${command}`,
    '',
  ];
  if (scripts.build)
    // A build step (TypeScript, a bundler) needs the dev dependencies; the image keeps only the rest.
    return [
      '# Written by `berth init` for a Node service. The service must listen on 0.0.0.0:$PORT.',
      `ARG BASE_IMAGE=${baseImage ?? 'node:24-slim'}`,
      `FROM \${BASE_IMAGE} AS build`,
      'WORKDIR /app',
      'COPY package*.json ./',
      install(''),
      'COPY . .',
      'RUN npm run build && npm prune --omit=dev',
      '',
      `FROM \${BASE_IMAGE}`,
      'WORKDIR /app',
      'COPY --from=build /app ./',
      ...runtime,
    ].join('\n');
  return [
    '# Written by `berth init` for a Node service. The service must listen on 0.0.0.0:$PORT.',
    `ARG BASE_IMAGE=${baseImage ?? 'node:24-slim'}`,
    `FROM \${BASE_IMAGE}`,
    'WORKDIR /app',
    'COPY package*.json ./',
    ...(hasDependencies ? [install(' --omit=dev')] : []),
    'COPY . .',
    ...runtime,
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
