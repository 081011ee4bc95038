import { createContextFilter } from '@berth/core/docker';
import { describe, expect, it } from 'vitest';
import { createIgnoreFilter } from './ignore-rules.js';

const rules = [
  '',
  'node_modules\n*.log\n',
  '**/*.tmp\n!keep.tmp\n',
  'build/\n!build/keep\n# comment\n',
  '/abs\n.env*\n!.env.example\n',
  'Docs\n',
];
const paths = [
  'node_modules',
  'node_modules/a/index.js',
  'app.log',
  'src/app.log',
  'x.tmp',
  'deep/y.tmp',
  'keep.tmp',
  'build',
  'build/out.js',
  'build/keep',
  'abs',
  '.env',
  '.env.local',
  '.env.example',
  'docs',
  'Docs',
  'Dockerfile',
];

describe('createIgnoreFilter', () => {
  it.each(rules)('agrees with @berth/core/docker on %j', (text) => {
    const ours = createIgnoreFilter(text, ['Dockerfile']);
    const core = createContextFilter(text, ['Dockerfile']);
    for (const path of paths) {
      expect([path, ours.ignores(path)]).toEqual([path, core.ignores(path)]);
      expect([path, ours.mayIncludeInside(path)]).toEqual([path, core.mayIncludeInside(path)]);
    }
  });
});
