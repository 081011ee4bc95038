/** Command-line arguments (pure). */
import { TestEnvError } from './log.ts';

export interface Arguments {
  /** The components to run (all when --only is not given), in the order given to `parseArguments`. */
  readonly selected: readonly string[];
  readonly check: boolean;
  readonly reset: boolean;
  readonly help: boolean;
}

export const USAGE = `Starts the environment Berth's integration tests need on a Debian machine, then writes the JSON
file the tests read (test-support/test-env.ts). Docs: docs/test-environment.md.

  bash scripts/test-env.sh                        # install + start everything, write the env file
  bash scripts/test-env.sh --only docker,images   # only some components (the env file is always written)
  bash scripts/test-env.sh --only sshd,systemd-host # the SSH test hosts (need docker)
  bash scripts/test-env.sh --check                # also re-run every self-check (push/pull, containers)
  bash scripts/test-env.sh --reset                # stop what it started, delete its data, images and files

Components: COMPONENTS.
Idempotent and fast when everything is up. Needs root (apt-get, dockerd). Nothing is pulled from a
container registry: images are assembled from files of this machine.`;

/** Parses argv; throws a TestEnvError with the message to print for anything it does not know. */
export function parseArguments(argv: readonly string[], components: readonly string[]): Arguments {
  let only: string | undefined;
  let check = false;
  let reset = false;
  let help = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '--only') {
      only = argv[++index];
      if (only === undefined || only === '')
        throw new TestEnvError(`--only needs a comma-separated list: ${components.join(' ')}`);
    } else if (argument.startsWith('--only=')) {
      only = argument.slice('--only='.length);
    } else if (argument === '--check') {
      check = true;
    } else if (argument === '--reset') {
      reset = true;
    } else if (argument === '-h' || argument === '--help') {
      help = true;
    } else {
      throw new TestEnvError(`unknown argument '${argument}' (see --help)`);
    }
  }
  if (only === undefined) return { selected: [...components], check, reset, help };
  const requested = only.split(',').filter((name) => name !== '');
  for (const name of requested) {
    if (!components.includes(name))
      throw new TestEnvError(`unknown section '${name}' (sections: ${components.join(' ')})`);
  }
  // Always in start order: docker before the images that need it, whatever order --only lists.
  return { selected: components.filter((name) => requested.includes(name)), check, reset, help };
}
