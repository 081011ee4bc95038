/** `berth doctor`: preflight of every target the selected services use, each failure with its hint. */
import { access } from 'node:fs/promises';
import { type PreflightCheck, type ProviderContext, systemClock, validateSpec } from '@berth/core';
import { dockerImageBuilder } from '@berth/docker';
import { palette } from '../output/terminal.js';
import { EXIT, type ExitCode } from '../run/exit-codes.js';
import { type CommandEnvironment, type GlobalOptions, openSession } from '../session.js';

interface DoctorCheck extends PreflightCheck {
  /** What was checked: a target or a service. */
  subject: string;
}

/** Checks of the services' secret sources: every `fromEnv` set, every `fromFile` readable. */
async function secretChecks(
  subject: string,
  secrets: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const [name, source] of Object.entries(secrets)) {
    if (typeof source !== 'object' || source === null) continue;
    if ('fromEnv' in source) {
      const variable = String(source.fromEnv);
      const ok = env[variable] !== undefined && env[variable] !== '';
      checks.push({
        subject,
        name: `secret ${name}`,
        ok,
        ...(ok ? {} : { message: `${variable} is not set`, hint: `Set ${variable} in berth's environment.` }),
      });
    } else if ('fromFile' in source) {
      const file = String(source.fromFile);
      const ok = await access(file).then(
        () => true,
        () => false,
      );
      checks.push({
        subject,
        name: `secret ${name}`,
        ok,
        ...(ok
          ? {}
          : { message: `${file} cannot be read`, hint: 'Create the file or fix its path in the config.' }),
      });
    }
  }
  return checks;
}

export async function doctor(environment: CommandEnvironment, options: GlobalOptions): Promise<ExitCode> {
  const session = await openSession(environment, options, 'doctor', { eventsToLogOnly: true });
  const print = (text: string) => environment.io.stdout.write(`${session.redactor.text(text)}\n`);
  const colors = palette(session.mode.color);
  const context: ProviderContext = {
    signal: environment.signal,
    clock: systemClock,
    progress: () => {},
    log: (level, message) => session.log?.write({ level, message }),
  };
  const checks: DoctorCheck[] = [
    { subject: 'config', name: session.loaded.file, ok: true, message: 'valid' },
  ];
  try {
    const seen = new Set<string>();
    let builds = false;
    for (const service of session.services) {
      const provider = await session.providerFor(service.targetName);
      let spec: ReturnType<typeof validateSpec> | undefined;
      try {
        // The target's own limits too (e.g. App Runner's service names), as `up` checks them.
        spec = validateSpec(
          service.spec,
          provider.validateSpec ? [provider.validateSpec.bind(provider)] : [],
        );
        checks.push({ subject: service.service, name: 'spec', ok: true });
      } catch (error) {
        const berth = error as { message: string; hint?: string };
        checks.push({
          subject: service.service,
          name: 'spec',
          ok: false,
          message: berth.message,
          ...(berth.hint ? { hint: berth.hint } : {}),
        });
      }
      checks.push(...(await secretChecks(service.service, service.spec.secrets ?? {}, environment.io.env)));
      if ('build' in service.spec.image) builds = true;
      if (seen.has(service.targetName)) continue;
      seen.add(service.targetName);
      const subject = `target ${service.targetName} (${provider.name})`;
      if (!provider.preflight) {
        checks.push({
          subject,
          name: 'preflight',
          ok: true,
          message: 'the provider has no preflight checks',
        });
        continue;
      }
      const target = { service: service.service, name: service.spec.name, environment: session.environment };
      try {
        for (const check of await provider.preflight(context, target, spec))
          checks.push({ subject, ...check });
      } catch (error) {
        const berth = error as { message: string; hint?: string };
        checks.push({
          subject,
          name: 'preflight',
          ok: false,
          message: berth.message,
          ...(berth.hint ? { hint: berth.hint } : {}),
        });
      }
    }
    // The state store answers (and lets this machine read): what every command needs first.
    const kind = session.loaded.config.state.kind;
    const first = session.services[0];
    try {
      if (first) await (await session.state()).read(first.service);
      checks.push({ subject: `state store (${kind})`, name: 'read', ok: true });
    } catch (error) {
      const berth = error as { message: string; hint?: string };
      checks.push({
        subject: `state store (${kind})`,
        name: 'read',
        ok: false,
        message: berth.message,
        ...(berth.hint ? { hint: berth.hint } : {}),
      });
    }
    if (builds) {
      const builder = dockerImageBuilder();
      for (const check of (await builder.preflight?.(context)) ?? [])
        checks.push({ subject: 'image builder', ...check });
    }
  } finally {
    await session.close();
  }
  for (const check of checks) {
    session.log?.write({ check });
    if (session.mode.kind === 'json') print(JSON.stringify({ type: 'check', ...check }));
    else {
      print(
        `${check.ok ? colors.green('✓') : colors.red('✗')} ${check.subject}: ${check.name}${check.message ? `  ${colors.dim(check.message)}` : ''}`,
      );
      if (!check.ok && check.hint) print(`    hint: ${check.hint}`);
    }
  }
  const failed = checks.filter((check) => !check.ok).length;
  if (session.mode.kind !== 'json')
    print(failed === 0 ? '\nAll checks passed.' : `\n${failed} check(s) failed.`);
  return failed === 0 ? EXIT.ok : EXIT.failed;
}
