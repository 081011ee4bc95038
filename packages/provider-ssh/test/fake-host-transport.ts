/**
 * An in-memory `HostTransport` for unit tests of the host provider's sequencing: containers are
 * records, every call is logged as `operation name`, and failures can be scripted per operation.
 */
import { BerthError } from '@berth/core';
import type { ContainerCreateBody, ContainerDetails, HostTransport } from '../src/host-transport.js';

interface FakeContainer {
  body: ContainerCreateBody;
  id: string;
  state: 'created' | 'running' | 'exited';
  createdAt: number;
}

/** The fake and its inspection handles. */
export interface FakeHostTransport extends HostTransport {
  calls: string[];
  containers: Map<string, FakeContainer>;
  images: Set<string>;
  /** Make the next call of `operation` (e.g. `start`) on a container whose name contains `match` throw. */
  failNext(operation: string, match: string, error: Error): void;
}

export function fakeHostTransport(images: string[] = []): FakeHostTransport {
  const containers = new Map<string, FakeContainer>();
  const calls: string[] = [];
  const failures: { operation: string; match: string; error: Error }[] = [];
  let clock = 1_000;
  const find = (nameOrId: string) =>
    [...containers.values()].find((c) => c.id === nameOrId || c.body.name === nameOrId);
  const record = (operation: string, subject: string) => {
    calls.push(`${operation} ${subject}`);
    const failure = failures.findIndex(
      (entry) => entry.operation === operation && subject.includes(entry.match),
    );
    if (failure >= 0) throw failures.splice(failure, 1)[0]!.error;
  };
  const details = (container: FakeContainer): ContainerDetails => ({
    id: container.id,
    name: container.body.name,
    labels: container.body.Labels,
    imageId: 'sha256:fake',
    env: container.body.Env,
    status: container.state,
    running: container.state === 'running',
    restarting: false,
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    createdAt: new Date(container.createdAt).toISOString(),
    startedAt: new Date(container.createdAt).toISOString(),
    finishedAt: '0001-01-01T00:00:00Z',
  });
  return {
    calls,
    containers,
    images: new Set(images),
    description: 'fake engine',
    failNext: (operation, match, error) => failures.push({ operation, match, error }),
    async ping() {},
    async listContainers(labels) {
      return [...containers.values()]
        .filter((container) =>
          Object.entries(labels).every(([key, value]) => container.body.Labels[key] === value),
        )
        .map((container) => ({
          id: container.id,
          name: container.body.name,
          labels: container.body.Labels,
          state: container.state,
          createdAt: container.createdAt,
          ports: [],
        }));
    },
    async inspectContainer(nameOrId) {
      const container = find(nameOrId);
      return container ? details(container) : undefined;
    },
    async createContainer(body) {
      record('create', body.name);
      clock += 1_000;
      const id = `id-${body.name}`;
      containers.set(id, { body, id, state: 'created', createdAt: clock });
      return id;
    },
    async startContainer(id) {
      const container = find(id);
      record('start', container?.body.name ?? id);
      if (container) container.state = 'running';
    },
    async stopContainer(id) {
      const container = find(id);
      record('stop', container?.body.name ?? id);
      if (container) container.state = 'exited';
    },
    async removeContainer(id) {
      const container = find(id);
      record('remove', container?.body.name ?? id);
      if (container) containers.delete(container.id);
    },
    async containerLogs() {
      return '';
    },
    async containerExitCodes() {
      return [];
    },
    async inspectImage(ref) {
      return this.images.has(ref) ? { id: 'sha256:fake' } : undefined;
    },
    async pullImage(ref) {
      record('pull', ref);
      throw new BerthError('IMAGE_NOT_FOUND', `no ${ref}`);
    },
    async removeImage() {
      return false;
    },
    async isPortFree() {
      return true;
    },
  };
}
