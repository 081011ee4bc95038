#!/usr/bin/env node
/**
 * The `berth` executable: real streams, Ctrl-C through the run's AbortSignal (a second one
 * forces), a yes/no prompt on a terminal, and the exit code.
 */
import nodeModule from 'node:module';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';

// Node's compile cache (Node ≥ 22.1, documented for command-line tools): the code of the CLI and
// the packages it loads is compiled once and reused by the next runs (in the OS temp folder;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off). Enabled before the CLI's modules load, so they use it.
nodeModule.enableCompileCache?.();
const { runCli } = await import('./cli.js');
const { EXIT } = await import('./run/exit-codes.js');

const controller = new AbortController();
const forcedExit = new Set<() => string[]>();
let interrupts = 0;
const onSignal = (signal: NodeJS.Signals) => {
  interrupts += 1;
  if (interrupts === 1) {
    // The run's reporter says so (above the live view); the engine stops at its next safe point.
    controller.abort(new Error(signal === 'SIGINT' ? 'interrupted' : `received ${signal}`));
    return;
  }
  // Forced: no safe point. Each open session stops its output and logs it; nothing async runs now.
  const lines = [...forcedExit].flatMap((note) => {
    try {
      return note();
    } catch {
      return [];
    }
  });
  process.stderr.write(
    `\n${(lines.length > 0 ? lines : ['berth: forced exit; run `berth status`, then `berth up` to converge']).join('\n')}\n`,
  );
  process.exit(EXIT.interrupted);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// berth.config.ts imports `defineConfig` from @berth/cli: it resolves to this copy of the CLI.
const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const selfModule = fileURLToPath(new URL(`./define-config${extension}`, import.meta.url));

const code = await runCli(process.argv.slice(2), {
  io: {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    ...(process.stdin.isTTY
      ? {
          confirm: async (question: string) => {
            const prompt = createInterface({ input: process.stdin, output: process.stderr });
            try {
              return /^y(es)?$/i.test((await prompt.question(question)).trim());
            } finally {
              prompt.close();
            }
          },
        }
      : {}),
  },
  signal: controller.signal,
  selfModule,
  forcedExit,
});
// Open handles (Docker sockets, SSH connections) must not keep a finished run alive.
process.exit(code);
