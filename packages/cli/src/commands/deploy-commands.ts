/** `up`, `local`, `down`, `rollback`, `promote`: the commands that change services. */
import type { DeployResult } from '@berth/core';
import { EXIT, type ExitCode } from '../run/exit-codes.js';
import {
  type CommandEnvironment,
  type GlobalOptions,
  openSession,
  type Session,
  usageError,
} from '../session.js';
import { runEach } from './run-each.js';

function runOptions(session: Session, environment: CommandEnvironment) {
  return {
    signal: environment.signal,
    ...(session.timeoutMs !== undefined ? { timeoutMs: session.timeoutMs } : {}),
  };
}

async function withSession(
  environment: CommandEnvironment,
  options: GlobalOptions,
  command: string,
  body: (session: Session) => Promise<ExitCode>,
  extra: Parameters<typeof openSession>[3] = {},
): Promise<ExitCode> {
  const session = await openSession(environment, options, command, extra);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

/** `berth up`: deploy the selected services in dependency order. */
export function up(environment: CommandEnvironment, options: GlobalOptions): Promise<ExitCode> {
  return withSession(environment, options, 'up', (session) =>
    runEach(session, environment, async (service) =>
      (await session.deployerFor(service)).up(service.spec, runOptions(session, environment)),
    ),
  );
}

/** `berth local`: `up` on the local Docker engine, then the URL, masked keys, docs links and how to stop. */
export function local(environment: CommandEnvironment, options: GlobalOptions): Promise<ExitCode> {
  return withSession(
    environment,
    options,
    'local',
    async (session) => {
      const results: DeployResult[] = [];
      const code = await runEach(
        session,
        environment,
        async (service) =>
          (await session.deployerFor(service)).up(service.spec, runOptions(session, environment)),
        { onDone: (done) => results.push(...(done as DeployResult[])) },
      );
      const say = (text: string) =>
        (session.mode.kind === 'json' ? environment.io.stderr : environment.io.stdout).write(
          `${session.redactor.text(text)}\n`,
        );
      for (const result of results.filter((item) => item.url)) {
        say('');
        say(`${result.service} is running at ${result.url}`);
        say(`  docs:   ${new URL('/docs', result.url).href}`);
        say(`  health: ${new URL('/.well-known/health', result.url).href}`);
        for (const [name, masked] of Object.entries(result.secrets ?? {})) say(`  key ${name} = ${masked}`);
      }
      if (results.length > 0) say(`\nStop with: berth down --local --env ${session.environment}`);
      return code;
    },
    { local: true },
  );
}

/**
 * On a terminal, `down` asks first (unless `--yes`): it removes running services. Without a
 * terminal (CI, scripts, agents) there is no one to ask and it proceeds. True to go on.
 */
async function confirmDown(
  session: Session,
  environment: CommandEnvironment,
  options: GlobalOptions & { keepSecrets?: boolean; deleteImages?: boolean },
): Promise<boolean> {
  const { io } = environment;
  if (options.yes || !io.confirm || session.mode.kind === 'json') return true;
  const removed = [
    'the services',
    ...(options.keepSecrets ? [] : ['the secrets Berth created']),
    ...(options.deleteImages ? ['their images'] : []),
  ];
  io.stderr.write(
    `This removes ${session.services.map((service) => `${service.service} (target ${service.targetName})`).join(', ')}: ${removed.join(', ')}.\n`,
  );
  if (await io.confirm('Remove them? [y/N] ')) return true;
  io.stderr.write('kept: nothing was removed\n');
  return false;
}

/** `berth down`: destroy the selected services, dependents first. Images are kept unless `--delete-images`. */
export function down(
  environment: CommandEnvironment,
  options: GlobalOptions & {
    local?: boolean;
    keepSecrets?: boolean;
    forgetState?: boolean;
    deleteImages?: boolean;
  },
): Promise<ExitCode> {
  return withSession(
    environment,
    options,
    'down',
    async (session) => {
      if (!(await confirmDown(session, environment, options))) return EXIT.ok;
      return runEach(
        session,
        environment,
        async (service) =>
          (await session.deployerFor(service)).down(service.spec, {
            ...runOptions(session, environment),
            ...(options.keepSecrets ? { keepSecrets: true } : {}),
            ...(options.forgetState ? { forgetState: true } : {}),
            ...(options.deleteImages ? { deleteImages: true } : {}),
          }),
        { reverse: true },
      );
    },
    { local: options.local === true },
  );
}

/** `berth rollback [--to REV]`: restore the previous verified revision (or REV). */
export function rollback(
  environment: CommandEnvironment,
  options: GlobalOptions & { to?: string; local?: boolean },
): Promise<ExitCode> {
  return withSession(
    environment,
    options,
    'rollback',
    async (session) => {
      if (options.to && session.services.length > 1)
        throw usageError(
          '--to',
          'names one revision but several services are selected',
          'Add --service NAME to pick the service.',
        );
      return runEach(session, environment, async (service) =>
        (await session.deployerFor(service)).rollback(service.spec, {
          ...runOptions(session, environment),
          ...(options.to ? { to: options.to } : {}),
        }),
      );
    },
    { local: options.local === true },
  );
}

/** `berth promote --from ENV --to ENV`: deploy to `to` the exact image verified in `from`. */
export function promote(
  environment: CommandEnvironment,
  options: GlobalOptions & { from?: string; to?: string },
): Promise<ExitCode> {
  if (!options.from || !options.to)
    throw usageError(
      '--from/--to',
      'promote needs both environments',
      'Run e.g. `berth promote --from staging --to prod`.',
    );
  if (options.from === options.to)
    throw usageError('--to', 'is the same environment as --from', 'Promote to another environment.');
  const from = options.from;
  const to = options.to;
  return withSession(
    environment,
    options,
    'promote',
    (session) =>
      runEach(session, environment, async (service) => {
        // The target environment's spec (its overrides applied) is deployed with the source's image.
        return (await session.deployerFor(service)).promote(service.spec, {
          ...runOptions(session, environment),
          from,
          to,
        });
      }),
    { environment: to },
  );
}

export { EXIT };
