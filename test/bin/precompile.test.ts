import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const { loadCli, registerTs, bundleKey, saveCodeCache } = require('../../bin/precompile.js') as {
  saveCodeCache: () => void;
  loadCli: (o: { root: string; cacheDir: string }) => Promise<Record<string, unknown>>;
  registerTs: (o: { root: string; cacheDir: string; shared?: Record<string, unknown> }) => void;
  bundleKey: (root: string, inputs: readonly string[]) => string | null;
};

/** A tiny eksai-shaped source tree: cli/index.ts re-exports a value from cli/value.ts. */
function sourceTree(value: string): string {
  const root = mkdtempSync(join(tmpdir(), 'eksai-precompile-'));
  mkdirSync(join(root, 'cli'), { recursive: true });
  writeFileSync(join(root, 'tsconfig.json'), '{"compilerOptions":{"target":"ES2022","strict":true}}\n');
  writeFileSync(join(root, 'package-lock.json'), '{}\n');
  writeFileSync(
    join(root, 'cli', 'index.ts'),
    "import { value } from './value';\nexport const main = async (): Promise<number> => 0;\nexport const answer: string = value;\n",
  );
  writeFileSync(join(root, 'cli', 'value.ts'), `export const value: string = ${JSON.stringify(value)};\n`);
  return root;
}

describe('precompiled CLI bundle', () => {
  test('reuses the cached bundle while the sources are unchanged and rebuilds after an edit', async () => {
    const root = sourceTree('one');
    const cacheDir = join(root, '.cache', 'eksai');
    expect((await loadCli({ root, cacheDir })).answer).toBe('one');
    const manifest = require(join(cacheDir, 'manifest.json')) as { key: string; inputs: string[] };
    expect(manifest.inputs).toEqual(['cli/index.ts', 'cli/value.ts']);
    expect(bundleKey(root, manifest.inputs)).toBe(manifest.key);
    expect((await loadCli({ root, cacheDir })).answer).toBe('one');

    writeFileSync(join(root, 'cli', 'value.ts'), 'export const value: string = "two";\n');
    expect(bundleKey(root, manifest.inputs)).not.toBe(manifest.key);
    expect((await loadCli({ root, cacheDir })).answer).toBe('two');
    // the stale bundle is gone; one bundle + its map + the manifest remain
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('cli-'))).toHaveLength(2);
  });

  test('the second start runs with the V8 code cache the first one stored', async () => {
    const root = sourceTree('cached');
    const cacheDir = join(root, '.cache', 'eksai');
    await loadCli({ root, cacheDir }); // builds, runs from memory
    expect((await loadCli({ root, cacheDir })).answer).toBe('cached'); // from the cached bundle
    saveCodeCache();
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.js.v8'))).toHaveLength(1);
    expect((await loadCli({ root, cacheDir })).answer).toBe('cached');
  });

  test('a new file next to an input changes the key (it could change what an import resolves to)', () => {
    const root = sourceTree('one');
    const before = bundleKey(root, ['cli/index.ts', 'cli/value.ts']);
    writeFileSync(join(root, 'cli', 'value.tsx'), 'export const value = "tsx";\n');
    expect(bundleKey(root, ['cli/index.ts', 'cli/value.ts'])).not.toBe(before);
  });

  test('a missing input means no key (rebuild)', () => {
    const root = sourceTree('one');
    expect(bundleKey(root, ['cli/index.ts', 'cli/gone.ts'])).toBeNull();
  });

  test('runs from memory when the cache cannot be written', async () => {
    const root = sourceTree('memory');
    const blocker = join(root, 'not-a-dir');
    writeFileSync(blocker, '');
    expect((await loadCli({ root, cacheDir: join(blocker, 'eksai') })).answer).toBe('memory');
  });
});

describe('.ts require hook for cluster files', () => {
  test('loads TypeScript and caches the transform by content', () => {
    const root = sourceTree('x');
    const cacheDir = join(root, '.cache', 'eksai');
    registerTs({ root: process.cwd(), cacheDir });
    const file = join(root, 'cluster.ts');
    writeFileSync(file, "import { value } from './cli/value';\nconst n: number = 2;\nexport default { n, value };\n");
    expect(createRequire(file)(file)).toMatchObject({ default: { n: 2, value: 'x' } });
    expect(readdirSync(join(cacheDir, 'ts'))).toHaveLength(2);
  });

  test('the real bundle shares lib/config/schema.ts with cluster files instead of compiling a second copy', async () => {
    const root = join(__dirname, '..', '..');
    const cli = await loadCli({ root, cacheDir: mkdtempSync(join(tmpdir(), 'eksai-precompile-cache-')) });
    expect(typeof cli.main).toBe('function');
    expect(Object.keys(cli.shared as object)).toEqual(['lib/config/schema.ts']);
    expect(typeof (cli.shared as Record<string, { defineCluster: unknown }>)['lib/config/schema.ts']!.defineCluster).toBe('function');
  });

  test('fails with the file, line and column of a syntax error', () => {
    const root = sourceTree('x');
    registerTs({ root: process.cwd(), cacheDir: join(root, '.cache', 'eksai') });
    const file = join(root, 'broken.ts');
    writeFileSync(file, 'export const clusters = { a: 1 ;\n');
    expect(() => createRequire(file)(file)).toThrow(`${file}:1:32: Expected "}" but found ";"`);
  });
});
