/**
 * What a component of the test environment is. main.ts runs the selected components in the order of
 * `components.ts`, then asks every component for its part of the env file. Adding a component is a
 * new module exporting one of these, listed in components.ts (docs/test-environment.md).
 */
import type Docker from 'dockerode';
import type { TestEnvConfig } from './config.ts';

export interface Context {
  readonly config: TestEnvConfig;
  /** The Docker engine at `config.docker.socketPath`. */
  readonly docker: Docker;
  /** `--check`: re-run the self-checks even when nothing changed. */
  readonly check: boolean;
}

/** A JSON object for the env file. */
export type EnvSection = Readonly<Record<string, unknown>>;

export interface Component {
  /** The name `--only` takes, e.g. `systemd-host`. */
  readonly name: string;
  /** apt packages this component needs (installed before any component runs). */
  readonly packages: readonly string[];
  /** Installs, starts and self-checks; fast and quiet when everything is already up. Throws TestEnvError. */
  ensure(context: Context): Promise<void>;
  /**
   * Its fields in the env file, by top-level key (`{ images: { caddy: '…' } }` adds to `images`), or
   * undefined when the component is not up. Runs for every component after each run, selected or not.
   */
  envSections?(context: Context): Promise<Readonly<Record<string, EnvSection>> | undefined>;
  /**
   * Top-level env-file keys this component only adds fields to (another component writes them):
   * its additions are dropped when that section is missing, so a reader never sees half a section.
   */
  readonly extends?: readonly string[];
  /** `--reset`: stops what it started and removes what it made (the state directory goes afterwards). */
  reset?(context: Context): Promise<void>;
}
