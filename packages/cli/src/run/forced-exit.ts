/** What a forced exit (a second Ctrl-C) tells the user: what may be left, and how to converge. Pure. */
export function forcedExitLines(
  services: string[],
  options: { logPath?: string; readOnly?: boolean } = {},
): string[] {
  const { logPath } = options;
  if (options.readOnly)
    return [
      `berth: forced exit; nothing was changing (a read-only command)${logPath ? `; log: ${logPath}` : ''}`,
    ];
  const which = services.length > 0 ? services.join(', ') : 'the selected services';
  return [
    `berth: forced exit before a safe point: ${which} may be mid-change.`,
    '  Locks of this run stay behind: the next berth run on this machine takes them over (its process is gone); elsewhere they wait until they expire.',
    '  Run `berth status` to see what is live, then `berth up` to converge (or `berth rollback`).',
    ...(logPath ? [`  log: ${logPath}`] : []),
  ];
}
