import type { Plan } from '../plan/plan.js';
import { planService } from '../plan/plan-service.js';
import { planningFingerprintKey } from '../secrets/fingerprint.js';
import { serviceNameOf } from '../spec/service-spec.js';
import { desiredForPlan } from './desired-service.js';
import type { EngineDeps } from './engine-deps.js';
import { resolveImage } from './resolve-image.js';
import { resolveSecrets } from './resolve-secrets.js';
import { providerContextFor, type RunContext } from './run-context.js';
import { validateForProvider } from './run-up.js';
import { completeObserved, readLedger } from './target-ledger.js';

/**
 * `plan`: what `up` would do. Read-only by construction: it calls only the provider's `observe`,
 * `imageTarget` and secret `read`, the builder's `inspect`, and the state store's `read`; it takes no
 * lock, generates nothing, builds nothing and writes nothing.
 */
export async function runPlan(deps: EngineDeps, run: RunContext, input: unknown): Promise<Plan> {
  const spec = validateForProvider(deps, input, { needsImage: true });
  const target = { service: serviceNameOf(spec), name: spec.name, environment: spec.environment };
  run.target = target;
  const context = providerContextFor(run, 'plan');
  const [state, ledger] = await Promise.all([deps.state.read(target.service), readLedger(run, deps)]);
  const secrets = await resolveSecrets({
    spec,
    provider: deps.provider,
    context,
    target,
    sources: deps.secretSources,
    redactor: run.redactor,
    fingerprintKey: ledger?.fingerprintKey ?? state?.fingerprintKey ?? planningFingerprintKey(target.service),
    generate: false,
  });
  const image = await resolveImage({
    spec,
    target,
    provider: deps.provider,
    builder: deps.imageBuilder ?? deps.provider.imageBuilder,
    context,
    cwd: deps.secretSources.cwd,
    mode: 'inspect',
  });
  const observed = completeObserved(await deps.provider.observe(context, target), ledger);
  const publicUrl = observed?.url ?? deps.provider.predictUrl?.(target, spec) ?? state?.current?.url;
  const providerOptions = deps.provider.desiredOptions?.(target, spec);
  const plan = planService({
    desired: desiredForPlan({
      target,
      spec,
      image,
      secrets,
      ...(publicUrl ? { publicUrl } : {}),
      ...(providerOptions ? { providerOptions } : {}),
    }),
    observed,
    current: state?.current,
  });
  run.emit({ type: 'plan-ready', plan });
  return run.redactor.value(plan);
}
