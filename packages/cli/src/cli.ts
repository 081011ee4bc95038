/**
 * The `berth` command line: commands and flags (commander), errors mapped to exit codes. Runs
 * in-process with injected streams, so tests call `runCli` directly; `bin.ts` wires the real process.
 */
import { BerthError } from '@berth/core';
import { Command, CommanderError, Option } from 'commander';
import type { InitOptions } from './commands/init.js';
import { isConfigError } from './config/config-error.js';
import { EXIT, type ExitCode } from './run/exit-codes.js';
import type { CommandEnvironment, GlobalOptions } from './session.js';

/** The version printed by `berth --version`. */
export const CLI_VERSION = '0.1.0';

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new CommanderError(2, 'berth.invalidArgument', `must be a whole number ≥ 1, got "${value}"`);
  return parsed;
}

// Commands load on use: `berth --help` and usage errors never load the engine, Docker client or a cloud SDK.
const deployCommands = () => import('./commands/deploy-commands.js');
const readCommands = () => import('./commands/read-commands.js');
type Options = GlobalOptions & Record<string, unknown>;
const init = async (environment: CommandEnvironment, options: InitOptions) =>
  (await import('./commands/init.js')).init(environment, options);
const clean = async (
  environment: CommandEnvironment,
  options: { yes: boolean; json: boolean; config?: string },
) => (await import('./commands/clean.js')).clean(environment, options);
const doctor = async (environment: CommandEnvironment, options: GlobalOptions) =>
  (await import('./commands/doctor.js')).doctor(environment, options);
const up = async (environment: CommandEnvironment, options: GlobalOptions) =>
  (await deployCommands()).up(environment, options);
const local = async (environment: CommandEnvironment, options: GlobalOptions) =>
  (await deployCommands()).local(environment, options);
const down = async (environment: CommandEnvironment, options: Options) =>
  (await deployCommands()).down(environment, options);
const rollback = async (environment: CommandEnvironment, options: Options) =>
  (await deployCommands()).rollback(environment, options);
const promote = async (environment: CommandEnvironment, options: Options) =>
  (await deployCommands()).promote(environment, options);
const plan = async (environment: CommandEnvironment, options: GlobalOptions) =>
  (await readCommands()).plan(environment, options);
const status = async (environment: CommandEnvironment, options: GlobalOptions) =>
  (await readCommands()).status(environment, options);
const history = async (environment: CommandEnvironment, options: GlobalOptions) =>
  (await readCommands()).history(environment, options);

/** Add the flags every service command takes. */
function common(command: Command): Command {
  return command
    .option('--config <path>', 'config file (default: berth.config.{ts,mts,js,mjs,json,yaml,yml} here)')
    .option('-e, --env <environment>', 'environment, e.g. dev, staging, prod (default: defaults.environment)')
    .option(
      '-s, --service <name>',
      'only this service (repeatable or comma-separated; default all)',
      collect,
      [],
    )
    .option('--json', 'JSON Lines on stdout: events, then one result per service', false)
    .option('-y, --yes', 'do not ask for confirmation', false)
    .option('--no-rollback', 'keep a revision that fails verification (rollback: never)')
    .option('--timeout <duration>', 'time limit of each service run, e.g. 90s, 10m')
    .option('-v, --verbose', 'every phase and log line', false)
    .addOption(
      new Option(
        '--concurrency <n>',
        'independent services deployed at once (default: defaults.concurrency)',
      ).argParser(positiveInteger),
    );
}

/** Build the program; `result.code` is set by the action that ran. */
export function buildProgram(environment: CommandEnvironment, result: { code: ExitCode }): Command {
  const program = new Command('berth')
    .description(
      'Deploy the services of berth.config.ts: plan, up, down, status, rollback, promote, and more.',
    )
    .version(CLI_VERSION, '--version')
    .showHelpAfterError('(berth --help shows every command)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => environment.io.stdout.write(text),
      writeErr: (text) => environment.io.stderr.write(text),
    });
  const action =
    <Options>(run: (environment: CommandEnvironment, options: Options) => Promise<ExitCode>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      result.code = await run(environment, command.opts() as Options);
    };

  program
    .command('init')
    .description(
      'write a starter berth.config.ts, and a Dockerfile and .dockerignore for a Node or Python folder',
    )
    .option('--force', 'overwrite existing files', false)
    .option('--name <name>', 'service name (default: package or folder name)')
    .addOption(
      new Option('--port <port>', 'port the service listens on (default 8000)').argParser(positiveInteger),
    )
    .option('--health-path <path>', 'health path (default /.well-known/health)')
    .option('--base-image <image>', 'base image of the generated Dockerfile')
    .option('--json', 'print what was written as JSON', false)
    .action(action(init));
  common(program.command('plan').description('show what up would change, per field (secrets masked)')).action(
    action<GlobalOptions>(plan),
  );
  common(program.command('up').description('deploy the services in dependency order')).action(
    action<GlobalOptions>(up),
  );
  common(
    program
      .command('down')
      .description(
        'remove the services and the secrets Berth created (images are kept unless --delete-images)',
      ),
  )
    .option('--local', 'the services deployed by berth local', false)
    .option('--keep-secrets', 'keep the secrets Berth created', false)
    .option('--forget-state', 'also delete the state and history of the services', false)
    .option('--delete-images', 'also delete the images Berth pushed for the services (e.g. ECR)', false)
    .action(action(down));
  common(program.command('status').description('live revision, URL, health and drift')).action(
    action<GlobalOptions>(status),
  );
  common(program.command('rollback').description('restore the previous verified revision, or --to REV'))
    .option('--to <revision>', 'the revision to restore (one service)')
    .option('--local', 'the services deployed by berth local', false)
    .action(action(rollback));
  common(program.command('history').description('every deploy, rollback, promotion and destroy')).action(
    action<GlobalOptions>(history),
  );
  common(program.command('promote').description('deploy to --to the exact image verified in --from'))
    .option('--from <environment>', 'source environment')
    .option('--to <environment>', 'target environment')
    .action(action(promote));
  common(
    program
      .command('local')
      .description('up on the local Docker engine (environment local), then URL, keys, docs and how to stop'),
  ).action(action<GlobalOptions>(local));
  program
    .command('clean')
    .description('remove .deployment/ (state, history, logs); asks first unless --yes')
    .option('--config <path>', 'config file')
    .option('-y, --yes', 'do not ask', false)
    .option('--json', 'print what was removed as JSON', false)
    .action(action(clean));
  common(
    program.command('doctor').description('preflight every target of the config, each failure with its hint'),
  ).action(action<GlobalOptions>(doctor));
  return program;
}

/** Print an error (config errors name the file, field and fix) and give its exit code. */
export function reportError(environment: CommandEnvironment, error: unknown, json: boolean): ExitCode {
  const { io } = environment;
  if (BerthError.isInstance(error)) {
    const usage =
      isConfigError(error) ||
      ['SPEC_INVALID', 'PROVIDER_OPTIONS_INVALID', 'SECRET_SOURCE_MISSING'].includes(
        String((error as BerthError).code),
      );
    const code = usage ? EXIT.usage : EXIT.failed;
    if (json) io.stdout.write(`${JSON.stringify({ type: 'error', error: error.toJSON() })}\n`);
    io.stderr.write(
      `berth: ${error.message}\n${error.hint ? `hint: ${error.hint.replace(/\n/g, '\nhint: ')}\n` : ''}`,
    );
    return code;
  }
  io.stderr.write(`berth: ${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.failed;
}

/** Run `berth` with `argv` (without the node and script paths). Resolves with the exit code. */
export async function runCli(argv: string[], environment: CommandEnvironment): Promise<ExitCode> {
  const result: { code: ExitCode } = { code: EXIT.ok };
  const program = buildProgram(environment, result);
  const json = argv.includes('--json');
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return environment.signal.aborted ? EXIT.interrupted : result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (environment.signal.aborted) return EXIT.interrupted;
    return reportError(environment, error, json);
  }
}
