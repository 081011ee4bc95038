import { describe, expect, it } from 'vitest';
import { parseArguments } from './args.ts';

const components = ['docker', 'registry', 'images', 'proxy', 'sshd', 'systemd-host', 'postgres', 's3'];

describe('parseArguments', () => {
  it('selects every component without --only', () => {
    expect(parseArguments([], components)).toEqual({
      selected: components,
      check: false,
      reset: false,
      help: false,
    });
  });

  it('takes --only as one argument or two, in start order whatever order it lists', () => {
    expect(parseArguments(['--only', 'images,docker'], components).selected).toEqual(['docker', 'images']);
    expect(parseArguments(['--only=proxy,systemd-host'], components).selected).toEqual([
      'proxy',
      'systemd-host',
    ]);
  });

  it('reads --check, --reset and --help', () => {
    expect(parseArguments(['--check', '--reset', '-h'], components)).toMatchObject({
      check: true,
      reset: true,
      help: true,
    });
    expect(parseArguments(['--help'], components).help).toBe(true);
  });

  it('rejects unknown arguments and sections, naming the valid ones', () => {
    expect(() => parseArguments(['--fast'], components)).toThrow("unknown argument '--fast' (see --help)");
    expect(() => parseArguments(['--only', 'docker,vault'], components)).toThrow(
      "unknown section 'vault' (sections: docker registry images proxy sshd systemd-host postgres s3)",
    );
    expect(() => parseArguments(['--only'], components)).toThrow('--only needs a comma-separated list');
  });
});
