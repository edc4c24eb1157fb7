import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers';

/** `npm run lint`'s layer check (scripts/layers.mjs with the repository's .dependency-cruiser.cjs) run in `cwd`. */
function layers(cwd: string, ...args: string[]): { status: number; stdout: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'layers.mjs'), '--config', join(REPO, '.dependency-cruiser.cjs'), ...args], {
    cwd,
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout + r.stderr };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A tree laid out like eksai's with the given files (path → source). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-layers-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true }, include: ['**/*.ts'] }),
  );
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

describe('layers (dependency-cruiser)', () => {
  it('passes on the repository as it is', () => {
    const r = layers(REPO);
    expect(r.stdout).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('fails when a lower layer imports a higher one, naming the rule and both files', () => {
    const dir = tree({
      'lib/errors.ts': "import { synthesize } from '../pipeline/synth/index';\nexport const e = synthesize;\n",
      'pipeline/synth/index.ts': 'export const synthesize = 1;\n',
      'lib/lookups/file.ts': "import type { ClusterConfig } from '../config/types';\nexport type F = ClusterConfig;\n",
      'lib/config/types.ts': 'export interface ClusterConfig { readonly name: string }\n',
      'charts/karpenter.ts': "import { main } from '../cli/index';\nexport const k = main;\n",
      'cli/index.ts': 'export const main = 1;\n',
      'pipeline/diff/upgrade.ts': "import { cel } from '../validate/cel';\nexport const u = cel;\n",
      'pipeline/validate/cel.ts': 'export const cel = 1;\n',
    });
    const r = layers(dir);
    expect(r.stdout).toContain('error lib-is-the-foundation: lib/errors.ts → pipeline/synth/index.ts');
    // type-only imports count: a type from config ties lookups to it as much as a value does
    expect(r.stdout).toContain('error lookups-below-config: lib/lookups/file.ts → lib/config/types.ts');
    expect(r.stdout).toContain('error charts-and-apps-below-pipeline: charts/karpenter.ts → cli/index.ts');
    expect(r.stdout).toContain('error diff-not-on-validate: pipeline/diff/upgrade.ts → pipeline/validate/cel.ts');
    expect(r.status).not.toBe(0);
  });

  it('fails when two modules import each other, even inside one folder', () => {
    const dir = tree({
      'pipeline/validate/index.ts': "import { cross } from './cross';\nexport interface Problem { readonly path: string }\nexport const v = cross;\n",
      'pipeline/validate/cross.ts': "import type { Problem } from './index';\nexport const cross = (p: Problem): string => p.path;\n",
    });
    const r = layers(dir);
    expect(r.stdout).toMatch(/error no-circular: pipeline\/validate\/(index|cross)\.ts →/);
    expect(r.status).not.toBe(0);
  });
});
