/** Output of the test environment: one line per step on stderr, and the error that stops a run. */

/** Stops the run; main prints `test-env: ERROR: <message>` and exits 1. */
export class TestEnvError extends Error {
  override readonly name = 'TestEnvError';
}

export function log(message: string): void {
  process.stderr.write(`test-env: ${message}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`test-env: WARNING: ${message}\n`);
}

/** Indents a command's output under the line that reports its failure. */
export function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
