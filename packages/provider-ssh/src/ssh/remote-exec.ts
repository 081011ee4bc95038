/**
 * One remote command on an open exec channel: collect its output and exit status, enforce its
 * timeout and abort signal (killing the process on the host), and turn a failure into
 * `SSH_COMMAND_FAILED` with the exit code and the end of stderr.
 */
import { BerthError } from '@berth/core';
import type { ClientChannel } from 'ssh2';
import type { CommandResult, RunOptions } from './ssh-connection.js';

const maxStdoutBytes = 64 * 1024 * 1024;
const keptStderrBytes = 16 * 1024;

/**
 * Collect the command running on `stream`. Call it synchronously in the exec callback: a fast
 * command's output, exit status and close can arrive together with the exec reply.
 */
export function collect(
  stream: ClientChannel,
  options: RunOptions,
  description: string,
  timeoutMs: number,
  target: string,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    // A timeout or an abort rejects at once and kills the remote process; the channel closes later.
    const stop = (error: BerthError | Error) => {
      finish(() => reject(error));
      killRemote(stream);
      stream.close();
    };
    const timer = setTimeout(
      () =>
        stop(
          new BerthError(
            'SSH_COMMAND_FAILED',
            `Timed out after ${timeoutMs} ms on ${target}: ${description}`,
            {
              details: { target, command: description, timedOut: true, stderr: stderr.slice(-2000) },
            },
          ),
        ),
      timeoutMs,
    );
    const onAbort = () =>
      stop(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    stream.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdoutBytes) {
        stop(
          new BerthError(
            'SSH_COMMAND_FAILED',
            `Output of "${description}" on ${target} passed ${maxStdoutBytes} bytes.`,
          ),
        );
        return;
      }
      stdout.push(chunk);
    });
    stream.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-keptStderrBytes);
    });
    stream.on('exit', (code: number | null, signalName?: string) => {
      exitCode = code;
      if (signalName) exitSignal = signalName;
    });
    stream.on('close', () => {
      if (settled) return;
      const result: CommandResult = {
        exitCode,
        ...(exitSignal ? { signal: exitSignal } : {}),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr,
      };
      const allowed = options.allowExitCodes ?? [0];
      if (exitCode !== null && allowed.includes(exitCode)) return finish(() => resolve(result));
      const how =
        exitCode === null ? `was killed (${exitSignal ?? 'no exit status'})` : `exited with ${exitCode}`;
      finish(() =>
        reject(
          new BerthError('SSH_COMMAND_FAILED', `On ${target}, "${description}" ${how}: ${lastLine(stderr)}`, {
            details: {
              target,
              command: description,
              exitCode,
              signal: exitSignal,
              stderr: stderr.slice(-2000),
            },
          }),
        ),
      );
    });
    stream.end(options.stdin ?? undefined);
  });
}

interface ChannelInternals {
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { signal(id: number, name: string): void } };
}

/**
 * Send SIGKILL to the remote command (OpenSSH ≥ 7.9 delivers it to the process group). ssh2's
 * public `signal()` is a no-op once stdin is closed, which it always is here, so the request is
 * sent on the channel directly.
 */
function killRemote(stream: ClientChannel): void {
  const internals = stream as unknown as ChannelInternals;
  try {
    const state = internals.outgoing?.state;
    if (internals.outgoing && (state === 'open' || state === 'eof')) {
      internals._client?._protocol?.signal(internals.outgoing.id, 'KILL');
    }
  } catch {
    // The channel is already closing; closing it is all that is left to do.
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
