import { describe, expect, it } from 'vitest';
import {
  environmentDirective,
  environmentFileLine,
  execWord,
  renderEnvironmentFile,
  renderUnitFile,
  unitName,
} from './unit-file.js';

const base = {
  service: 'api-prod',
  releaseId: '20250101T000000Z-abc',
  workingDirectory: '/opt/berth/api-prod/releases/20250101T000000Z-abc',
  command: ['node', 'server.js'],
  environment: { PORT: '8080' },
};

describe('unitName', () => {
  it('prefixes the service name', () => {
    expect(unitName('api-prod')).toBe('berth-api-prod.service');
  });

  it.each([
    'api;reboot',
    '../etc',
    'a b',
    'Api',
    '',
    'x\n[Service]',
  ])('refuses the hostile name %j', (name) => {
    expect(() => unitName(name)).toThrow(/service name/);
  });
});

describe('environmentDirective', () => {
  it.each([
    ['plain', 'Environment="X=plain"'],
    ['with space', 'Environment="X=with space"'],
    ['quote " and \\ backslash', 'Environment="X=quote \\" and \\\\ backslash"'],
    ['100% %n %i', 'Environment="X=100%% %%n %%i"'],
    [
      'line1\nline2\n[Service]\nExecStart=/bin/evil',
      'Environment="X=line1\\nline2\\n[Service]\\nExecStart=/bin/evil"',
    ],
    ['tab\tcr\r', 'Environment="X=tab\\tcr\\r"'],
    ['bell\u0007', 'Environment="X=bell\\x07"'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} is the hostile input
    ['$HOME ${PATH} $(id) `id`', 'Environment="X=$HOME ${PATH} $(id) `id`"'],
    ['', 'Environment="X="'],
  ])('escapes %j', (value, line) => {
    expect(environmentDirective('X', value)).toBe(line);
  });

  it('never lets a value start a new line of the unit', () => {
    expect(environmentDirective('X', 'a\nb\r\nc')).not.toMatch(/[\r\n]/);
  });

  it.each(['1X', 'A-B', 'A B', 'A=B', ''])('refuses the variable name %j', (name) => {
    expect(() => environmentDirective(name, 'v')).toThrow(/variable name/);
  });

  it('refuses a NUL byte', () => {
    expect(() => environmentDirective('X', 'a\0b')).toThrow(/NUL/);
  });
});

describe('execWord', () => {
  it.each([
    ['node', '"node"'],
    ['$HOME', '"$$HOME"'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} is the hostile input
    ['${X}', '"$${X}"'],
    ['50%', '"50%%"'],
    ['a "b"', '"a \\"b\\""'],
    ['x;y', '"x;y"'],
  ])('quotes %j as %j', (word, quoted) => {
    expect(execWord(word)).toBe(quoted);
  });
});

describe('renderUnitFile', () => {
  it('renders the unit of a release', () => {
    expect(
      renderUnitFile({
        ...base,
        environmentFile: '/opt/berth/api-prod/env/20250101T000000Z-abc.env',
        user: 'berth',
        memoryMaxBytes: 536870912,
        cpuQuotaPercent: 50,
      }),
    ).toBe(
      [
        '# berth-api-prod.service: written by Berth; a deploy replaces it.',
        '[Unit]',
        'Description=Berth service api-prod (release 20250101T000000Z-abc)',
        'After=network.target',
        '',
        '[Service]',
        'Type=exec',
        'WorkingDirectory=/opt/berth/api-prod/releases/20250101T000000Z-abc',
        'User=berth',
        'Environment="PORT=8080"',
        'EnvironmentFile=/opt/berth/api-prod/env/20250101T000000Z-abc.env',
        'ExecStart="node" "server.js"',
        'Restart=on-failure',
        'RestartSec=1',
        'TimeoutStopSec=10',
        'MemoryMax=536870912',
        'CPUQuota=50%',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
        '',
      ].join('\n'),
    );
  });

  it('makes a program relative to the release folder absolute (systemd refuses ./start.sh)', () => {
    expect(renderUnitFile({ ...base, command: ['./bin/start.sh', '--port', '8080'] })).toContain(
      'ExecStart="/opt/berth/api-prod/releases/20250101T000000Z-abc/bin/start.sh" "--port" "8080"\n',
    );
    expect(renderUnitFile({ ...base, command: ['bin/../start.sh'] })).toContain(
      'ExecStart="/opt/berth/api-prod/releases/20250101T000000Z-abc/start.sh"\n',
    );
    // Bare names are searched by systemd; absolute paths stay as they are.
    expect(renderUnitFile({ ...base, command: ['node'] })).toContain('ExecStart="node"\n');
    expect(renderUnitFile({ ...base, command: ['/usr/bin/node'] })).toContain('ExecStart="/usr/bin/node"\n');
  });

  it('runs a string command with /bin/sh -c, as one argument', () => {
    const unit = renderUnitFile({ ...base, command: 'exec node server.js --port "$PORT"' });
    expect(unit).toContain('ExecStart="/bin/sh" "-c" "exec node server.js --port \\"$$PORT\\""');
  });

  it('sorts environment lines and keeps hostile values on their own line', () => {
    const unit = renderUnitFile({
      ...base,
      environment: { Z: 'last', A: 'x\n[Install]\nWantedBy=evil.target', M: '%h' },
    });
    const lines = unit.split('\n').filter((line) => line.startsWith('Environment='));
    expect(lines).toEqual([
      'Environment="A=x\\n[Install]\\nWantedBy=evil.target"',
      'Environment="M=%%h"',
      'Environment="Z=last"',
    ]);
    expect(unit.match(/^WantedBy=/gm)).toHaveLength(1);
  });

  it.each([
    ['relative', 'opt/x'],
    ['space', '/opt/my app'],
    ['newline', '/opt/x\nExecStart=/bin/evil'],
    ['quote', '/opt/"x"'],
  ])('refuses a working directory with a %s', (_, path) => {
    expect(() => renderUnitFile({ ...base, workingDirectory: path })).toThrow(/working directory/);
  });

  it('escapes % in paths', () => {
    expect(renderUnitFile({ ...base, workingDirectory: '/opt/100%' })).toContain(
      'WorkingDirectory=/opt/100%%',
    );
  });

  it.each([[[]], [['']], ['  ']])('refuses the empty command %j', (command) => {
    expect(() => renderUnitFile({ ...base, command })).toThrow(/empty/);
  });

  it('refuses a hostile user name', () => {
    expect(() => renderUnitFile({ ...base, user: 'root\nUser=evil' })).toThrow(/user/);
  });
});

describe('environment file', () => {
  it.each([
    ['plain', 'X="plain"'],
    ['say "hi"', 'X="say \\"hi\\""'],
    ['a\\b', 'X="a\\\\b"'],
    ['$HOME `id`', 'X="\\$HOME \\`id\\`"'],
    ["it's", 'X="it\'s"'],
    ['two\nlines', 'X="two\nlines"'],
  ])('writes %j as %j', (value, line) => {
    expect(environmentFileLine('X', value)).toBe(line);
  });

  it('renders one sorted assignment per variable', () => {
    expect(renderEnvironmentFile({ B: '2', A: '1' })).toBe('A="1"\nB="2"\n');
    expect(renderEnvironmentFile({})).toBe('');
  });

  it('refuses bad names and NUL bytes', () => {
    expect(() => environmentFileLine('A B', 'x')).toThrow(/variable name/);
    expect(() => environmentFileLine('A', '\0')).toThrow(/NUL/);
  });
});
