/** `berth init`: a starter config, and a Dockerfile and .dockerignore suited to the folder. Never overwrites without --force. */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CONFIG_FILE_NAMES } from '../config/load-config.js';
import {
  dockerfileFor,
  dockerignoreFor,
  type ProjectFacts,
  projectKind,
  pyprojectDependencyNames,
  requirementNames,
  serviceName,
  starterConfig,
} from '../init/project-files.js';
import { EXIT, type ExitCode } from '../run/exit-codes.js';
import type { CommandEnvironment } from '../session.js';
import { usageError } from '../session.js';

export interface InitOptions {
  force: boolean;
  json: boolean;
  name?: string;
  port?: number;
  healthPath?: string;
  baseImage?: string;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

async function exists(path: string): Promise<boolean> {
  return (await readIfPresent(path)) !== undefined;
}

/** What is in the folder. */
export async function readProjectFacts(dir: string): Promise<ProjectFacts> {
  const facts: ProjectFacts = { folder: basename(dir) };
  const packageJson = await readIfPresent(join(dir, 'package.json'));
  if (packageJson) {
    try {
      facts.packageJson = JSON.parse(packageJson);
    } catch {
      throw usageError('package.json', 'is not valid JSON', 'Fix package.json, then run berth init again.');
    }
  }
  const requirementsText = await readIfPresent(join(dir, 'requirements.txt'));
  const pyprojectText = await readIfPresent(join(dir, 'pyproject.toml'));
  const requirements = requirementsText !== undefined;
  const pyproject = pyprojectText !== undefined;
  const entry = (await exists(join(dir, 'main.py')))
    ? 'main.py'
    : (await exists(join(dir, 'app.py')))
      ? 'app.py'
      : undefined;
  if (requirements || pyproject || entry)
    facts.python = {
      requirements,
      pyproject,
      ...(entry ? { entry } : {}),
      dependencies: [
        ...requirementNames(requirementsText ?? ''),
        ...pyprojectDependencyNames(pyprojectText ?? ''),
      ],
    };
  return facts;
}

export async function init(environment: CommandEnvironment, options: InitOptions): Promise<ExitCode> {
  const dir = environment.io.cwd;
  const facts = await readProjectFacts(dir);
  const port = options.port ?? 8000;
  const name = options.name ?? serviceName(facts);
  const existing = [];
  for (const file of CONFIG_FILE_NAMES) if (await exists(join(dir, file))) existing.push(file);
  const planned: { file: string; content: string; skipIfPresent: boolean }[] = [
    {
      file: 'berth.config.ts',
      content: starterConfig({ name, port, healthPath: options.healthPath ?? '/.well-known/health' }),
      skipIfPresent: false,
    },
  ];
  if (projectKind(facts) !== 'unknown') {
    planned.push({
      file: 'Dockerfile',
      content: dockerfileFor(facts, port, options.baseImage),
      skipIfPresent: true,
    });
    planned.push({ file: '.dockerignore', content: dockerignoreFor(facts), skipIfPresent: true });
  }
  if (existing.length > 0 && !options.force)
    throw usageError(
      existing[0] as string,
      'already exists',
      'Keep it, or run `berth init --force` to overwrite the config.',
    );
  const written: string[] = [];
  const kept: string[] = [];
  for (const item of planned) {
    const path = join(dir, item.file);
    if (item.skipIfPresent && !options.force && (await exists(path))) {
      kept.push(item.file);
      continue;
    }
    await writeFile(path, item.content, { flag: options.force ? 'w' : 'wx' });
    written.push(item.file);
  }
  const out = (text: string) => environment.io.stdout.write(`${text}\n`);
  if (options.json)
    out(JSON.stringify({ type: 'init', kind: projectKind(facts), service: name, written, kept }));
  else {
    for (const file of written) out(`wrote ${file}`);
    for (const file of kept) out(`kept ${file} (exists; --force overwrites)`);
    if (projectKind(facts) === 'unknown')
      out('No package.json or Python project found: write a Dockerfile, or point image at { ref }.');
    out(`\nNext: berth plan, then berth up (service ${name}, ${projectKind(facts)} project).`);
  }
  return EXIT.ok;
}
