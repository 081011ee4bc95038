import { describe, expect, it } from 'vitest';
import {
  assertHostPath,
  assertReleaseId,
  assertServiceName,
  hostLayout,
  makeReleaseId,
} from './host-layout.js';

describe('hostLayout', () => {
  it('places everything of a service under <base>/<service>', () => {
    const layout = hostLayout('/opt/berth', 'api-prod');
    expect(layout).toMatchObject({
      serviceDir: '/opt/berth/api-prod',
      releasesDir: '/opt/berth/api-prod/releases',
      currentLink: '/opt/berth/api-prod/current',
      historyFile: '/opt/berth/api-prod/history.jsonl',
      lockDir: '/opt/berth/api-prod/.lock',
    });
    expect(layout.release('r1')).toBe('/opt/berth/api-prod/releases/r1');
    expect(layout.manifest('r1')).toBe('/opt/berth/api-prod/manifests/r1.json');
    expect(layout.envFile('3-abc')).toBe('/opt/berth/api-prod/env/3-abc.env');
    expect(layout.revision('3-abc')).toBe('/opt/berth/api-prod/revisions/3-abc.json');
    expect(layout.unitCopy('3-abc')).toBe('/opt/berth/api-prod/units/3-abc.service');
    expect(layout.readyMarker('r1')).toBe('/opt/berth/api-prod/manifests/r1.ready');
  });

  it.each([
    'api;rm -rf /',
    '$(reboot)',
    '`id`',
    "a'b",
    'a"b',
    'a\nb',
    '../etc',
    'a/b',
    'API',
    '-rf',
    '',
    'x'.repeat(64),
  ])('refuses the hostile service name %j', (name) => {
    expect(() => hostLayout('/opt/berth', name)).toThrow(/service name/);
  });

  it.each([
    '..',
    '../x',
    'a/b',
    'a\nb',
    '.hidden',
    'a;b',
    '$(x)',
    'x..y',
    '',
  ])('refuses the release id %j', (id) => {
    expect(() => hostLayout('/opt/berth', 'svc').release(id)).toThrow(/release id/);
  });

  it.each([
    'relative/path',
    '/',
    '/opt/berth/',
    '/opt//berth',
    '/opt/../etc',
    '/opt/./x',
    '/opt/a\nb',
    '/opt/\tb',
  ])('refuses the base folder %j', (path) => {
    expect(() => assertHostPath(path)).toThrow(/base folder/);
  });

  it('accepts base folders with spaces and quotes (they are quoted wherever used)', () => {
    expect(assertHostPath("/srv/my apps/it's")).toBe("/srv/my apps/it's");
  });

  it('accepts ordinary names', () => {
    expect(assertServiceName('hello-agent-dev')).toBe('hello-agent-dev');
    expect(assertReleaseId('20250101T000000Z-abc_1.2')).toBe('20250101T000000Z-abc_1.2');
  });
});

describe('makeReleaseId', () => {
  it('sorts by time and carries the revision', () => {
    expect(makeReleaseId(Date.UTC(2025, 0, 2, 3, 4, 5), 'abc123')).toBe('20250102T030405Z-abc123');
    expect(makeReleaseId(Date.UTC(2025, 0, 2, 3, 4, 5), '')).toBe('20250102T030405Z');
  });

  it('drops characters a path segment must not have', () => {
    expect(makeReleaseId(0, 'sha256:ab/../cd;$(x)')).toBe('19700101T000000Z-sha256ab.cdx');
  });
});
