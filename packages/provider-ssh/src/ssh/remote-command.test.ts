import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  batchArguments,
  batchScript,
  inlineScriptLimit,
  joinCommands,
  sh,
  shellQuote,
} from './remote-command.js';

const hostile = [
  'plain',
  '',
  ' ',
  'two words',
  'semi;colon; rm -rf /',
  '$(touch /tmp/berth-pwned)',
  '`touch /tmp/berth-pwned`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} is the hostile input
  '${HOME}',
  "it's",
  "'",
  "''",
  '"double"',
  'back\\slash',
  'new\nline',
  'tab\there',
  'glob*?[a]',
  '~',
  '-rf',
  'A=b',
  '&& echo pwned',
  '| cat /etc/passwd',
  '> /tmp/x',
  '#comment',
  'émoji 🚢',
  '!history',
  '\r\n',
];

/** Run `printf %s <quoted>` in a real shell and return what the shell passed to printf. */
function throughShell(shell: string, value: string): string {
  return execFileSync(shell, ['-c', sh`printf %s ${value}`.script], { encoding: 'utf8' });
}

describe('shellQuote', () => {
  it.each([
    ['plain', 'plain'],
    ['/opt/berth/svc/releases/20250101T000000Z-abc', '/opt/berth/svc/releases/20250101T000000Z-abc'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$(id)', "'$(id)'"],
    ['A=b', "'A=b'"],
    ['~', "'~'"],
    ['new\nline', "'new\nline'"],
  ])('quotes %j as %j', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });

  it('writes numbers bare and refuses non-finite ones', () => {
    expect(shellQuote(8080)).toBe('8080');
    expect(() => shellQuote(Number.NaN)).toThrow(TypeError);
  });

  it('refuses a NUL byte, which no shell word can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  for (const shell of ['sh', 'bash']) {
    it.each(hostile)(`${shell} receives %j unchanged and runs nothing from it`, (value) => {
      expect(throughShell(shell, value)).toBe(value);
    });
  }
});

describe('sh', () => {
  it('quotes every interpolated value and keeps the literal parts', () => {
    const path = '/opt/berth/my svc';
    expect(sh`mkdir -p -- ${path} && cd ${path}`.script).toBe(
      "mkdir -p -- '/opt/berth/my svc' && cd '/opt/berth/my svc'",
    );
  });

  it('expands arrays to one quoted word each', () => {
    expect(sh`rm -f -- ${['a', 'b c', '$(x)']}`.script).toBe("rm -f -- a 'b c' '$(x)'");
  });

  it('nests commands without quoting them again', () => {
    const inner = sh`test -d ${'/x y'}`;
    expect(sh`if ${inner}; then echo yes; fi`.script).toBe("if test -d '/x y'; then echo yes; fi");
  });

  it('joins commands with && by default', () => {
    expect(joinCommands([sh`true`, sh`echo ${'a;b'}`]).script).toBe("true && echo 'a;b'");
    expect(joinCommands([sh`false`, sh`true`], ';').script).toBe('false ; true');
  });

  it('keeps a hostile array inert in a real shell', () => {
    const values = ['a b', '$(echo pwned)', "q'uote", 'x\ny'];
    const out = execFileSync('sh', ['-c', sh`printf '%s|' ${values}`.script], { encoding: 'utf8' });
    expect(out).toBe(values.map((value) => `${value}|`).join(''));
  });
});

describe('batchArguments', () => {
  it('splits arguments so that each batch stays under the limit', () => {
    const values = Array.from({ length: 100 }, (_, index) => `file-${index}.txt`);
    const batches = batchArguments(values, 200);
    expect(batches.flat()).toEqual(values);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(
        batch.map((value) => shellQuote(value).length + 1).reduce((a, b) => a + b, 0),
      ).toBeLessThanOrEqual(200);
    }
  });

  it('keeps an argument longer than the limit in a batch of its own', () => {
    expect(batchArguments(['x'.repeat(50), 'y'], 10)).toEqual([['x'.repeat(50)], ['y']]);
  });

  it('returns no batch for no arguments', () => {
    expect(batchArguments([])).toEqual([]);
  });
});

describe('batchScript', () => {
  it('joins short commands into one command line', () => {
    const { command, stdin } = batchScript([sh`mkdir -p -- ${'a b'}`, sh`touch -- ${"it's"}`]);
    expect(command.script).toBe(`mkdir -p -- 'a b' && touch -- 'it'\\''s'`);
    expect(stdin).toBeUndefined();
  });

  it('sends a script past the limit to sh -s on stdin, with the same meaning', () => {
    const names = Array.from({ length: 4000 }, (_, index) => `file ${index};$(id)`);
    const commands = batchArguments(names, 20 * 1024).map((batch) => sh`printf '%s\\n' ${batch}`);
    const { command, stdin } = batchScript(commands);
    expect(command.script).toBe('sh -s');
    expect(stdin!.length).toBeGreaterThan(inlineScriptLimit);
    const output = execFileSync('sh', ['-c', command.script], { input: stdin, encoding: 'utf8' });
    expect(output.split('\n').slice(0, -1)).toEqual(names);
  });
});
