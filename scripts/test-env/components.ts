/**
 * Every component, in the order they start (and write their env-file sections). A component is one
 * module exporting a `Component`; list it here to add it (docs/test-environment.md, "Adding a component").
 */
import type { Component } from './component.ts';
import { docker } from './docker.ts';
import { images } from './images.ts';
import { postgres } from './postgres.ts';
import { proxy } from './proxy.ts';
import { registry } from './registry.ts';
import { s3 } from './s3.ts';
import { sshd } from './sshd.ts';
import { systemdHost } from './systemd-host.ts';

export const COMPONENTS: readonly Component[] = [
  docker,
  registry,
  images,
  proxy,
  sshd,
  systemdHost,
  postgres,
  s3,
];

/** Installed on every run: readiness checks (curl), jq for people reading the env file, tmux for the CLI's terminal tests. */
export const ALWAYS_PACKAGES: readonly string[] = ['curl', 'jq', 'tmux'];
