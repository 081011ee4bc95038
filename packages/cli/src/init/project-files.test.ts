import { describe, expect, it } from 'vitest';
import {
  dockerfileFor,
  dockerignoreFor,
  pyprojectDependencyNames,
  requirementNames,
} from './project-files.js';

const lines = (text: string) => text.split('\n');

describe('the Dockerfile berth init writes', () => {
  it('starts a FastAPI service with uvicorn on $PORT', () => {
    const text = dockerfileFor(
      {
        folder: 'api',
        python: {
          requirements: true,
          pyproject: false,
          entry: 'main.py',
          dependencies: ['fastapi', 'uvicorn'],
        },
      },
      8000,
    );
    expect(lines(text)).toEqual(
      expect.arrayContaining([
        'COPY requirements.txt ./',
        'RUN pip install --no-cache-dir -r requirements.txt',
        `CMD ["sh", "-c", "exec uvicorn main:app --host 0.0.0.0 --port \${PORT}"]`,
      ]),
    );
    expect(text).not.toContain('add uvicorn');
  });

  it('says what is missing when FastAPI has no server, and uses gunicorn when declared', () => {
    const fastapi = dockerfileFor(
      { folder: 'api', python: { requirements: true, pyproject: false, dependencies: ['fastapi'] } },
      8000,
    );
    expect(fastapi).toContain('add uvicorn to your dependencies');
    const gunicorn = dockerfileFor(
      {
        folder: 'web',
        python: {
          requirements: true,
          pyproject: false,
          entry: 'app.py',
          dependencies: ['flask', 'gunicorn'],
        },
      },
      5000,
    );
    expect(gunicorn).toContain(`CMD ["sh", "-c", "exec gunicorn --bind 0.0.0.0:\${PORT} app:app"]`);
    expect(gunicorn).toContain('ENV PORT=5000');
  });

  it('installs a pyproject project after copying its sources', () => {
    const text = lines(
      dockerfileFor(
        { folder: 'svc', python: { requirements: false, pyproject: true, entry: 'main.py' } },
        8000,
      ),
    );
    expect(text.indexOf('COPY . .')).toBeLessThan(text.indexOf('RUN pip install --no-cache-dir .'));
    expect(text).toContain('CMD ["python", "main.py"]');
  });

  it('builds a Node project with a build script in a first stage, keeping only production dependencies', () => {
    const text = lines(
      dockerfileFor(
        {
          folder: 'web',
          packageJson: {
            name: 'web',
            scripts: { build: 'tsc', start: 'node dist/server.js' },
            dependencies: { fastify: '5' },
          },
        },
        3000,
      ),
    );
    expect(text).toEqual(
      expect.arrayContaining([
        `FROM \${BASE_IMAGE} AS build`,
        'RUN if [ -f package-lock.json ]; then npm ci; else npm install; fi',
        'RUN npm run build && npm prune --omit=dev',
        'COPY --from=build /app ./',
        'USER node',
        'CMD ["node", "dist/server.js"]',
      ]),
    );
  });

  it('runs a Node project without a build directly, dependencies without dev ones', () => {
    const text = dockerfileFor(
      { folder: 'api', packageJson: { scripts: { start: 'node server.mjs' }, dependencies: { pg: '8' } } },
      8000,
      'berth/node:24',
    );
    expect(lines(text)).toEqual(
      expect.arrayContaining([
        'ARG BASE_IMAGE=berth/node:24',
        'RUN if [ -f package-lock.json ]; then npm ci --omit=dev; else npm install --omit=dev; fi',
        'CMD ["node", "server.mjs"]',
      ]),
    );
    expect(text).not.toContain('AS build');
  });

  it('leaves local state, secrets and heavy folders out of the image', () => {
    const node = lines(dockerignoreFor({ folder: 'x', packageJson: {} }));
    expect(node).toEqual(expect.arrayContaining(['.deployment', '.env', '.env.*', 'node_modules', '.git']));
    expect(lines(dockerignoreFor({ folder: 'x', python: { requirements: true, pyproject: false } }))).toEqual(
      expect.arrayContaining(['.deployment', '.env', '.venv', '__pycache__']),
    );
  });
});

describe('Python dependency names', () => {
  it('reads requirements.txt and pyproject.toml dependencies', () => {
    expect(
      requirementNames('# web\nFastAPI[all]>=0.110\n-r base.txt\nuvicorn==0.30 ; python_version>"3.8"\n'),
    ).toEqual(['fastapi', 'uvicorn']);
    expect(
      pyprojectDependencyNames(
        '[project]\nname = "svc"\ndependencies = [\n  "Flask>=3",\n  \'gunicorn\',\n]\n',
      ),
    ).toEqual(['flask', 'gunicorn']);
  });
});
