import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from './host-transport.js';
import { addressesOverlap, portHolders } from './port-holders.js';

function published(name: string, hostIp: string, hostPort: number, service?: string): ContainerSummary {
  return {
    id: name,
    name,
    labels: service ? { 'dev.berth.service': service } : {},
    state: 'running',
    createdAt: 0,
    ports: [{ hostIp, hostPort, containerPort: 8000 }],
  };
}

describe('addressesOverlap', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1', true],
    ['0.0.0.0', '127.0.0.1', true],
    ['127.0.0.1', '::', true],
    ['127.0.0.1', '192.168.0.2', false],
  ])('%s and %s overlap: %s', (left, right, overlap) => {
    expect(addressesOverlap(left, right)).toBe(overlap);
  });
});

describe('portHolders', () => {
  const isOwn = (container: ContainerSummary) => container.labels['dev.berth.service'] === 'hello-dev';

  it('splits this service’s containers from the others on the same port', () => {
    const holders = portHolders(
      [
        published('mine', '127.0.0.1', 8000, 'hello-dev'),
        published('theirs', '0.0.0.0', 8000),
        published('far', '127.0.0.1', 9000),
      ],
      { bindAddress: '127.0.0.1', hostPort: 8000 },
      isOwn,
    );
    expect(holders.own.map((c) => c.name)).toEqual(['mine']);
    expect(holders.others.map((c) => c.name)).toEqual(['theirs']);
  });

  it('finds nobody on a free port', () => {
    expect(
      portHolders([published('far', '127.0.0.1', 9000)], { bindAddress: '127.0.0.1', hostPort: 8000 }, isOwn),
    ).toEqual({
      own: [],
      others: [],
    });
  });
});
