import type { BerthEvent, DeployResult, Plan } from '@berth/core';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/** Print a plan as a short diff. */
export function printPlan(plan: Plan): void {
  console.log(`plan: ${plan.action.toUpperCase()} ${plan.service}`);
  for (const change of plan.changes) {
    const sign = change.kind === 'add' ? '+' : change.kind === 'remove' ? '-' : '~';
    const detail =
      change.kind === 'change' ? `${change.before} → ${change.after}` : String(change.after ?? change.before);
    console.log(`  ${sign} ${change.path}: ${detail.length > 90 ? `${detail.slice(0, 87)}…` : detail}`);
  }
  for (const drift of plan.drift)
    console.log(`  ! drift ${drift.path}: recorded ${drift.recorded}, live ${drift.observed}`);
}

/** An `onEvent` listener that prints live progress for a terminal. */
export function printEvents(): (event: BerthEvent) => void {
  let lastProgress = '';
  return (event) => {
    switch (event.type) {
      case 'phase-start':
        if (['image', 'deploy', 'verify', 'rollback', 'public-url', 'traffic'].includes(event.phase))
          console.log(`▸ ${event.phase}`);
        break;
      case 'plan-ready':
        printPlan(event.plan);
        break;
      case 'progress': {
        const amount = event.total ? ` ${Math.round(((event.current ?? 0) / event.total) * 100)}%` : '';
        const line = `  ${event.step}${amount} ${event.message ?? ''}`.trimEnd();
        if (line !== lastProgress && (event.step !== 'push' || amount.endsWith('0%')))
          console.log(line.slice(0, 120));
        lastProgress = line;
        break;
      }
      case 'health-check':
        console.log(
          `  health ${event.check}: ${event.ok ? 'ok' : 'failed'}${event.status ? ` (${event.status})` : ''} ${event.latencyMs}ms${event.error && !event.ok ? ` ${event.error}` : ''}`,
        );
        break;
      case 'rollback-start':
        console.log(`↺ rolling back to ${event.to}: ${event.reason}`);
        break;
      case 'rollback-end':
        console.log(`↺ rollback ${event.status}`);
        break;
      case 'log':
        if (event.level !== 'debug') console.log(`  [${event.level}] ${event.message}`);
        break;
    }
  };
}

/** Print the outcome: URL, masked secrets and phase timings. */
export function printResult(result: DeployResult): void {
  console.log('');
  console.log(`status:   ${result.status}`);
  if (result.url) console.log(`url:      ${result.url}`);
  if (result.revision) console.log(`revision: ${result.revision}`);
  if (result.image) console.log(`image:    ${result.image.ref}`);
  for (const [key, masked] of Object.entries(result.secrets ?? {}))
    console.log(`secret:   ${key} = ${masked}`);
  if (result.error)
    console.log(`error:    ${result.error.code}: ${result.error.message}\nhint:     ${result.error.hint}`);
  if (result.rollback)
    console.log(
      `rollback: ${result.rollback.status} → ${result.rollback.to ?? '(none)'} (${result.rollback.reason})`,
    );
  const timed = result.phases.filter((phase) => phase.status !== 'skipped');
  console.log(`phases:   ${timed.map((phase) => `${phase.name} ${seconds(phase.durationMs)}`).join(', ')}`);
  const total = timed.reduce((sum, phase) => sum + phase.durationMs, 0);
  console.log(`total:    ${seconds(total)}`);
}
