/** A plan as a readable diff: `+` added, `~` changed, `-` removed, per field. Secrets stay masked. Pure. */
import type { Plan, PlanValue } from '@berth/core';
import type { Palette } from './terminal.js';

function show(value: PlanValue): string {
  if (value === null) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Lines of one service's plan. */
export function formatPlan(plan: Plan, colors: Palette, target?: string): string[] {
  const header = `${colors.bold(plan.service)}  ${plan.action === 'noop' ? colors.dim('no changes') : colors.cyan(plan.action)}${target ? colors.dim(`  (target ${target})`) : ''}`;
  const lines = [header];
  const width = Math.max(0, ...plan.changes.map((change) => change.path.length));
  for (const change of plan.changes) {
    const path = change.path.padEnd(width);
    if (change.kind === 'add') lines.push(colors.green(`  + ${path}  ${show(change.after)}`));
    else if (change.kind === 'remove') lines.push(colors.red(`  - ${path}  ${show(change.before)}`));
    else lines.push(colors.yellow(`  ~ ${path}  ${show(change.before)} → ${show(change.after)}`));
  }
  for (const drift of plan.drift)
    lines.push(
      colors.yellow(
        `  ! drift ${drift.path}: recorded ${show(drift.recorded)}, live ${show(drift.observed)}`,
      ),
    );
  return lines;
}
