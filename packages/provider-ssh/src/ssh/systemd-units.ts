/**
 * systemd on the host, over the SSH connection: install a unit, (re)start it, read its state and
 * journal, remove it. Privileged steps run through `sudo -n` when the SSH user is not root. The
 * state parsing and liveness decision are pure.
 *
 * A unit's counters outlive the process that set them: `NRestarts` is not reset when the unit is
 * restarted while it waits to restart a crashed process (systemd 252 keeps it), and the start rate
 * limit a crash loop used up would refuse the next start. So every start clears them
 * (`reset-failed`) and takes a baseline (`UnitStart`), and a revision's liveness is judged only by
 * what happened since its own start.
 */
import type { RevisionLiveness } from '@berth/core';
import { joinCommands, type RemoteCommand, sh } from './remote-command.js';
import type { SshConnection } from './ssh-connection.js';
import { unitName } from './unit-file.js';

/** The fields of `systemctl show` Berth reads. */
export interface UnitStatus {
  loadState: string;
  activeState: string;
  subState: string;
  result: string;
  restarts: number;
  mainPid: number;
  exitStatus: number;
  /** systemd's id of the current start of the unit (a new one on every start, automatic or not). */
  invocationId: string;
}

/** What a start of the unit left behind: the baseline a revision's liveness is judged from. */
export interface UnitStart {
  /** The revision started. */
  revision: string;
  /** `NRestarts` just before the start (after `reset-failed`, normally 0). */
  restarts: number;
  /** The invocation started. */
  invocationId: string;
  /** The invocation before the restart: the same id after it means nothing was started. */
  invocationBefore: string;
  /**
   * The host's clock just before the start, `seconds.micros` since the epoch (for `journalctl
   * --since`); absent when the host's `date` cannot tell.
   */
  since?: string;
  /** Exit code of `systemctl restart` (non-zero when the start job failed). */
  restartExit: number;
}

const showProperties = [
  'LoadState',
  'ActiveState',
  'SubState',
  'Result',
  'NRestarts',
  'MainPID',
  'ExecMainStatus',
  'InvocationID',
];

/** `systemctl show` of the fields `parseUnitStatus` reads (no privilege needed). Pure. */
export function unitShowCommand(service: string): RemoteCommand {
  return sh`systemctl show ${showProperties.flatMap((property) => ['-p', property])} ${unitName(service)}`;
}

/** Parse `systemctl show -p …` output (`Key=value` lines). Pure. */
export function parseUnitStatus(text: string): UnitStatus {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const number = (key: string) => Number(values.get(key) ?? '0') || 0;
  return {
    loadState: values.get('LoadState') ?? 'not-found',
    activeState: values.get('ActiveState') ?? 'inactive',
    subState: values.get('SubState') ?? 'dead',
    result: values.get('Result') ?? 'success',
    restarts: number('NRestarts'),
    mainPid: number('MainPID'),
    exitStatus: number('ExecMainStatus'),
    invocationId: values.get('InvocationID') ?? '',
  };
}

/** Parse the start record written at the switch (`Key=value` lines); `undefined` when absent. Pure. */
export function parseUnitStart(text: string | undefined): UnitStart | undefined {
  if (!text) return undefined;
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const revision = values.get('Revision');
  const since = values.get('Since') ?? '';
  if (!revision) return undefined;
  return {
    revision,
    restarts: Number(values.get('RestartsBefore') ?? '0') || 0,
    invocationId: values.get('InvocationID') ?? '',
    invocationBefore: values.get('InvocationBefore') ?? '',
    ...(/^\d+(\.\d+)?$/.test(since) ? { since } : {}),
    restartExit: Number(values.get('RestartExit') ?? '0') || 0,
  };
}

/**
 * Exit statuses systemd itself sets when it could not run the command at all (203 = exec failed,
 * 200 = no working directory, 217 = no such user…): see systemd.exec(5), "Process Exit Codes".
 */
export function isSetupFailure(exitStatus: number): boolean {
  return exitStatus >= 200 && exitStatus <= 243;
}

/**
 * The start record the restart script printed, or the reason the unit did not start: systemd could
 * not run the command at all, or refused to start it (the old invocation still runs). A process that ran and exited while the start job waited is a start
 * (the verifier finds it dead, with its journal), so a crash at start is reported one way, however
 * the race between the exit and the job's end went. Pure.
 */
export function startOf(unit: string, output: string): UnitStart {
  const start = parseUnitStart(output);
  if (!start) throw new Error(`systemctl restart ${unit} left no start record: ${output.trim()}`);
  const exitStatus = parseUnitStatus(output).exitStatus;
  // A refused start (a unit with a bad setting, a start limit) leaves the old invocation running.
  const started = start.invocationId !== '' && start.invocationId !== start.invocationBefore;
  if (start.restartExit !== 0 && (!started || isSetupFailure(exitStatus)))
    throw new Error(
      `systemctl restart ${unit} failed (exit ${start.restartExit}; the command's exit status ${exitStatus})`,
    );
  return start;
}

/** Automatic restarts since `since` (all of them without a baseline; a counter reset since counts from 0). */
function restartsSince(status: UnitStatus, since: UnitStart | undefined): number {
  if (!since) return status.restarts;
  return status.restarts >= since.restarts ? status.restarts - since.restarts : status.restarts;
}

/**
 * Whether a unit's process is alive and has not been restarted by systemd since its start (the
 * baseline `since`, taken at the switch; counters from before it are not this revision's). Pure.
 */
export function unitLiveness(status: UnitStatus, journal: string, since?: UnitStart): RevisionLiveness {
  const restarts = restartsSince(status, since);
  if (status.activeState === 'active' && status.subState === 'running' && restarts === 0)
    return { alive: true };
  const how =
    restarts > 0
      ? `the service exited and systemd restarted it ${restarts} time(s) (last exit status ${status.exitStatus})`
      : `the unit is ${status.activeState}/${status.subState} (result ${status.result}, exit status ${status.exitStatus})`;
  const tail = journal.trim();
  return { alive: false, reason: tail ? `${how}; last log lines:\n${tail}` : how };
}

/** systemd operations for one connection. */
export function systemdUnits(connection: SshConnection, username: string) {
  const sudo: RemoteCommand = username === 'root' ? sh`` : sh`sudo -n`;
  const unitPath = (service: string) => `/etc/systemd/system/${unitName(service)}`;

  return {
    unitPath,
    /** Write the unit (atomically, mode 0644) and reload systemd. */
    async install(service: string, text: string): Promise<void> {
      const path = unitPath(service);
      await connection.run(
        sh`${sudo} sh -c ${'umask 022 && cat > "$1.berth-tmp" && mv -f "$1.berth-tmp" "$1"'} sh ${path} && ${sudo} systemctl daemon-reload`,
        { stdin: text, description: `install ${path}` },
      );
    },
    /**
     * Start `revision`'s unit afresh, in one remote script: clear the counters a crashed process
     * left (`reset-failed`: restart counter and start rate limit), enable and restart the unit, and
     * write the baseline (`UnitStart`) to `startFile` on the host, so that a probe from any process
     * judges this start alone. Throws when systemd could not run the command at all (`Type=exec`:
     * a missing program, working directory or user). A process that ran and exited during the
     * start job is not an error here: the verifier finds it dead, with its journal.
     */
    async restart(service: string, revision: string, startFile: string): Promise<UnitStart> {
      const unit = unitName(service);
      const script = [
        sh`${sudo} systemctl reset-failed ${unit} 2>/dev/null`,
        sh`before=$(systemctl show -p NRestarts --value ${unit})`,
        sh`invocation=$(systemctl show -p InvocationID --value ${unit})`,
        sh`since=$(date +%s.%6N)`,
        sh`${sudo} systemctl enable --quiet ${unit} || exit 90`,
        sh`${sudo} systemctl restart ${unit}; code=$?`,
        sh`{ printf 'Revision=%s\nRestartsBefore=%s\nInvocationBefore=%s\nSince=%s\nRestartExit=%s\n' ${revision} "$before" "$invocation" "$since" "$code"; systemctl show -p InvocationID -p ExecMainStatus ${unit}; } > ${`${startFile}.berth-tmp`}`,
        sh`mv -f -- ${`${startFile}.berth-tmp`} ${startFile} && cat -- ${startFile}`,
      ];
      const result = await connection.run(joinCommands(script, ';'), {
        description: `restart ${unit}`,
      });
      return startOf(unit, result.stdout);
    },
    async status(service: string): Promise<UnitStatus> {
      const args = showProperties.flatMap((property) => ['-p', property]);
      const result = await connection.run(sh`systemctl show ${args} ${unitName(service)}`, {
        description: `systemctl show ${unitName(service)}`,
      });
      return parseUnitStatus(result.stdout);
    },
    /**
     * The last lines the service wrote (empty when the journal cannot be read); with `since`
     * (host clock, `seconds.micros`), only lines from then on.
     */
    async journal(service: string, lines: number, since?: string): Promise<string> {
      const from = since ? sh`--since ${`@${since}`}` : sh``;
      const result = await connection.run(
        sh`${sudo} journalctl -u ${unitName(service)} ${from} -n ${lines} --no-pager -o cat`,
        { allowExitCodes: [0, 1], description: `journal of ${unitName(service)}` },
      );
      return result.stdout;
    },
    /** Stop, disable and delete the unit; a missing unit is fine. */
    async remove(service: string): Promise<void> {
      const unit = unitName(service);
      await connection.run(
        sh`${sudo} systemctl disable --now --quiet ${unit} 2>/dev/null; ${sudo} rm -f -- ${unitPath(service)} && ${sudo} systemctl daemon-reload && ${sudo} systemctl reset-failed ${unit} 2>/dev/null; true`,
        { description: `remove ${unit}` },
      );
    },
    /** Checks for preflight: systemd runs, and we may manage units. */
    async check(): Promise<{ ok: boolean; message: string }> {
      const result = await connection.run(
        sh`${sudo} systemctl --version | head -n 1 && ${sudo} test -w /etc/systemd/system`,
        {
          allowExitCodes: [0, 1],
          description: 'check systemd',
        },
      );
      return result.exitCode === 0
        ? { ok: true, message: `${result.stdout.trim()} on ${connection.target}` }
        : {
            ok: false,
            message: `Cannot manage systemd units on ${connection.target}: ${result.stderr.trim() || 'no write access to /etc/systemd/system'}`,
          };
    },
  };
}

/** The systemd operations object. */
export type SystemdUnits = ReturnType<typeof systemdUnits>;
