/** `apps_deployment_progress_step_status`. */
export type StepStatus = 'UNKNOWN' | 'PENDING' | 'RUNNING' | 'ERROR' | 'SUCCESS';

/** One step of a deployment's progress, as the emulator keeps it (times in epoch ms). */
export interface ProgressStep {
  name: string;
  status: StepStatus;
  component_name?: string;
  message_base?: string;
  reason?: { code: string; message: string };
  startedAt?: number;
  endedAt?: number;
  steps?: ProgressStep[];
}

function step(name: string, extra: Partial<ProgressStep> = {}): ProgressStep {
  return { name, status: 'PENDING', ...extra };
}

/**
 * The steps App Platform reports for a deployment of services: `build` (`initialize`, then one
 * "Building service" step per component), `deploy` (`initialize`, per component `deploy` and `wait`,
 * then `finalize`).
 */
export function deploymentSteps(components: string[]): ProgressStep[] {
  return [
    step('build', {
      steps: [
        step('initialize'),
        step('components', {
          steps: components.map((name) =>
            step(name, { component_name: name, message_base: 'Building service' }),
          ),
        }),
      ],
    }),
    step('deploy', {
      steps: [
        step('initialize'),
        step('components', {
          steps: components.map((name) =>
            step(name, {
              component_name: name,
              steps: [
                step('deploy', { component_name: name, message_base: 'Deploying service' }),
                step('wait', { component_name: name, message_base: 'Waiting for service' }),
              ],
            }),
          ),
        }),
        step('finalize'),
      ],
    }),
  ];
}

/** The step at `path` (names from the top), e.g. `['deploy', 'components', 'web', 'wait']`. */
export function findStep(steps: ProgressStep[], path: string[]): ProgressStep | undefined {
  const [first, ...rest] = path;
  const found = steps.find((candidate) => candidate.name === first);
  if (!found || rest.length === 0) return found;
  return findStep(found.steps ?? [], rest);
}

/** Mark a step (and every parent on the way) running. */
export function startStep(steps: ProgressStep[], path: string[], now: number): void {
  for (let depth = 1; depth <= path.length; depth += 1) {
    const found = findStep(steps, path.slice(0, depth));
    if (found && found.status === 'PENDING') {
      found.status = 'RUNNING';
      found.startedAt = now;
    }
  }
}

/** End a step with `status`; a parent ends as soon as all its children have succeeded, or with the first error. */
export function endStep(
  steps: ProgressStep[],
  path: string[],
  status: 'SUCCESS' | 'ERROR',
  now: number,
  reason?: { code: string; message: string },
): void {
  startStep(steps, path, now);
  const found = findStep(steps, path);
  if (!found) return;
  found.status = status;
  found.endedAt = now;
  if (reason) found.reason = reason;
  for (let depth = path.length - 1; depth >= 1; depth -= 1) {
    const parent = findStep(steps, path.slice(0, depth));
    if (!parent) continue;
    const children = parent.steps ?? [];
    if (status === 'ERROR') {
      parent.status = 'ERROR';
      parent.endedAt = now;
    } else if (children.every((child) => child.status === 'SUCCESS')) {
      parent.status = 'SUCCESS';
      parent.endedAt = now;
    }
  }
}

function leaves(steps: ProgressStep[]): ProgressStep[] {
  return steps.flatMap((candidate) => (candidate.steps?.length ? leaves(candidate.steps) : [candidate]));
}

function stepView(candidate: ProgressStep): Record<string, unknown> {
  return {
    name: candidate.name,
    status: candidate.status,
    ...(candidate.component_name ? { component_name: candidate.component_name } : {}),
    ...(candidate.message_base ? { message_base: candidate.message_base } : {}),
    ...(candidate.reason ? { reason: candidate.reason } : {}),
    ...(candidate.startedAt ? { started_at: new Date(candidate.startedAt).toISOString() } : {}),
    ...(candidate.endedAt ? { ended_at: new Date(candidate.endedAt).toISOString() } : {}),
    ...(candidate.steps ? { steps: candidate.steps.map(stepView) } : {}),
  };
}

/** `apps_deployment_progress` on the wire: counts over the leaf steps, the step tree, a flat summary. */
export function progressView(steps: ProgressStep[]): Record<string, unknown> {
  const all = leaves(steps);
  const count = (status: StepStatus) => all.filter((candidate) => candidate.status === status).length;
  return {
    pending_steps: count('PENDING'),
    running_steps: count('RUNNING'),
    success_steps: count('SUCCESS'),
    error_steps: count('ERROR'),
    total_steps: all.length,
    steps: steps.map(stepView),
    summary_steps: steps.map((candidate) => {
      const { steps: _children, ...flat } = stepView(candidate);
      return flat;
    }),
  };
}
