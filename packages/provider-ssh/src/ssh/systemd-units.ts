/**
 * systemd on the host, over the SSH connection: install a unit, (re)start it, read its state and
 * journal, remove it. Privileged steps run through `sudo -n` when the SSH user is not root. The
 * state parsing and liveness decision are pure.
 */
import type { RevisionLiveness } from '@berth/core';
import { type RemoteCommand, sh } from './remote-command.js';
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
}

const showProperties = [
  'LoadState',
  'ActiveState',
  'SubState',
  'Result',
  'NRestarts',
  'MainPID',
  'ExecMainStatus',
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
  };
}

/** Whether a unit's process is alive and has not been restarted by systemd since its start. Pure. */
export function unitLiveness(status: UnitStatus, journal: string): RevisionLiveness {
  if (status.activeState === 'active' && status.subState === 'running' && status.restarts === 0)
    return { alive: true };
  const how =
    status.restarts > 0
      ? `the service exited and systemd restarted it ${status.restarts} time(s) (last exit status ${status.exitStatus})`
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
    /** Enable the unit and (re)start it; `Type=exec` makes this fail when the command cannot start. */
    async restart(service: string): Promise<void> {
      const unit = unitName(service);
      await connection.run(
        sh`${sudo} systemctl enable --quiet ${unit} && ${sudo} systemctl restart ${unit}`,
        {
          description: `restart ${unit}`,
        },
      );
    },
    async status(service: string): Promise<UnitStatus> {
      const args = showProperties.flatMap((property) => ['-p', property]);
      const result = await connection.run(sh`systemctl show ${args} ${unitName(service)}`, {
        description: `systemctl show ${unitName(service)}`,
      });
      return parseUnitStatus(result.stdout);
    },
    /** The last lines the service wrote (empty when the journal cannot be read). */
    async journal(service: string, lines: number): Promise<string> {
      const result = await connection.run(
        sh`${sudo} journalctl -u ${unitName(service)} -n ${lines} --no-pager -o cat`,
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
