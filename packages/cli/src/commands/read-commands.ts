/** `plan`, `status`, `history`: read-only commands. */
import { BerthError } from '@berth/core';
import { formatPlan } from '../output/format-plan.js';
import { palette } from '../output/terminal.js';
import { EXIT, type ExitCode } from '../run/exit-codes.js';
import { type CommandEnvironment, type GlobalOptions, openSession, type Session } from '../session.js';

async function eachService(
  environment: CommandEnvironment,
  options: GlobalOptions,
  command: string,
  body: (session: Session, print: (text: string) => void) => Promise<ExitCode>,
): Promise<ExitCode> {
  const session = await openSession(environment, options, command, {
    eventsToLogOnly: true,
  });
  const print = (text: string) => environment.io.stdout.write(`${session.redactor.text(text)}\n`);
  try {
    return await body(session, print);
  } finally {
    await session.close();
    if (session.log && session.mode.kind !== 'json')
      environment.io.stderr.write(`log: ${session.log.path}\n`);
  }
}

function failure(session: Session, print: (text: string) => void, service: string, error: unknown): ExitCode {
  const json = BerthError.isInstance(error)
    ? error.toJSON()
    : { code: 'DEPLOY_FAILED', message: String((error as Error)?.message ?? error), hint: '' };
  session.log?.write({ service, error: json });
  if (session.mode.kind === 'json') print(JSON.stringify({ type: 'error', service, error: json }));
  else {
    print(`✗ ${service}  ${json.code}: ${json.message}`);
    if (json.hint) print(`  hint: ${json.hint}`);
  }
  return BerthError.isInstance(error) &&
    ['SPEC_INVALID', 'PROVIDER_OPTIONS_INVALID', 'SECRET_SOURCE_MISSING'].includes(error.code)
    ? EXIT.usage
    : EXIT.failed;
}

/** `berth plan`: what `up` would change, per field (secrets masked); `--json`: the plan objects. */
export function plan(environment: CommandEnvironment, options: GlobalOptions): Promise<ExitCode> {
  return eachService(environment, options, 'plan', async (session, print) => {
    const colors = palette(session.mode.color);
    let code: ExitCode = EXIT.ok;
    for (const service of session.services) {
      try {
        const result = await (await session.deployerFor(service)).plan(service.spec);
        session.log?.write({ plan: result });
        if (session.mode.kind === 'json')
          print(JSON.stringify({ type: 'plan', target: service.targetName, ...result }));
        else for (const line of formatPlan(result, colors, service.targetName)) print(line);
      } catch (error) {
        code = Math.max(code, failure(session, print, service.service, error)) as ExitCode;
      }
    }
    return code;
  });
}

/** `berth status`: the live revision, URL, health and drift of each service. */
export function status(environment: CommandEnvironment, options: GlobalOptions): Promise<ExitCode> {
  return eachService(environment, options, 'status', async (session, print) => {
    let code: ExitCode = EXIT.ok;
    for (const service of session.services) {
      try {
        const result = await (await session.deployerFor(service)).status(service.spec);
        session.log?.write({ status: result });
        if (session.mode.kind === 'json')
          print(JSON.stringify({ type: 'status', target: service.targetName, ...result }));
        else if (!result.exists) print(`- ${result.service}  not deployed (target ${service.targetName})`);
        else {
          const health = result.healthy === undefined ? '' : result.healthy ? 'healthy' : 'UNHEALTHY';
          print(
            `${result.healthy === false ? '✗' : '✓'} ${result.service}  ${result.revision ?? ''}  ${result.url ?? ''}  ${health}`.trimEnd(),
          );
          if (result.image?.digest) print(`    image ${result.image.digest}`);
          if (result.lastDeploy) print(`    last ${result.lastDeploy.status} at ${result.lastDeploy.at}`);
          for (const drift of result.drift)
            print(`    drift ${drift.path}: recorded ${drift.recorded}, live ${drift.observed}`);
        }
      } catch (error) {
        code = Math.max(code, failure(session, print, service.service, error)) as ExitCode;
      }
    }
    return code;
  });
}

/** `berth history`: every deploy, rollback, promotion and destroy, oldest first. */
export function history(environment: CommandEnvironment, options: GlobalOptions): Promise<ExitCode> {
  return eachService(environment, options, 'history', async (session, print) => {
    let code: ExitCode = EXIT.ok;
    for (const service of session.services) {
      try {
        const entries = await (await session.deployerFor(service)).history(service.spec);
        if (session.mode.kind === 'json') {
          for (const entry of entries)
            print(JSON.stringify({ type: 'history', service: service.service, ...entry, record: undefined }));
          continue;
        }
        print(service.service);
        if (entries.length === 0) print('  (no history)');
        for (const entry of entries)
          print(
            `  ${entry.endedAt}  ${entry.kind.padEnd(9)} ${entry.status.padEnd(15)} ${(entry.revision ?? '').padEnd(12)}${entry.promotedFrom ? ` from ${entry.promotedFrom}` : ''}${entry.error ? `  ${entry.error.code}` : ''}`,
          );
      } catch (error) {
        code = Math.max(code, failure(session, print, service.service, error)) as ExitCode;
      }
    }
    return code;
  });
}
