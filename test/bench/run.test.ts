import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO } from '../helpers';

const bench = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO, 'bench', 'run.ts'), ...args], { cwd: REPO, encoding: 'utf8' });

describe('npm run bench', () => {
  test('--help prints the options and exits 0 without benchmarking', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run bench /);
    for (const flag of ['--sizes', '--runs', '--skip-cdk8s', '--json', '--help']) expect(r.stdout).toContain(flag);
    expect(existsSync(join(REPO, '.bench'))).toBe(false);
  });

  test('fails with exit 2, the reason and the usage on an unknown option or a bad number', () => {
    const unknown = bench('--nope');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^bench: Unknown option '--nope'[^]*Usage: npm run bench /);
    expect(bench('--sizes', '3,x')).toMatchObject({
      status: 2,
      stderr: 'bench: --sizes must be positive integers separated by commas and --runs a positive integer (got --sizes 3,x --runs 5)\n',
    });
    expect(existsSync(join(REPO, '.bench'))).toBe(false); // refused before anything is set up
  });
});
