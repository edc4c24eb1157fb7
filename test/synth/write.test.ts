import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { sameOnDisk, writeDist } from '../../lib/synth/write';

const files = (tag: string) =>
  new Map([
    ['apps/Application.x.yaml', `x: ${tag}\n`],
    ['node-pools/NodePool.gpu.yaml', 'kind: NodePool\n'],
  ]);

describe('writeDist', () => {
  test('leaves a cluster folder that already holds exactly the rendered files untouched and swaps a changed one', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'eksai-write-'));
    writeDist(new Map([['a', files('1')], ['b', files('1')]]), { outdir, prune: true });
    const before = statSync(join(outdir, 'a', 'apps', 'Application.x.yaml')).ino;
    const result = writeDist(new Map([['a', files('1')], ['b', files('2')]]), { outdir, prune: true });
    expect(result).toMatchObject({ unchangedClusters: ['a'], written: 2 });
    expect(statSync(join(outdir, 'a', 'apps', 'Application.x.yaml')).ino).toBe(before);
    expect(readFileSync(join(outdir, 'b', 'apps', 'Application.x.yaml'), 'utf8')).toBe('x: 2\n');
  });

  test('rewrites a folder that holds an extra file or an empty folder, which a fresh write would not have', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'eksai-write-'));
    writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    writeFileSync(join(outdir, 'a', 'apps', 'Extra.yaml'), 'hand-edited\n');
    expect(sameOnDisk(join(outdir, 'a'), files('1'))).toBe(false);
    expect(writeDist(new Map([['a', files('1')]]), { outdir, prune: true }).unchangedClusters).toEqual([]);
    expect(existsSync(join(outdir, 'a', 'apps', 'Extra.yaml'))).toBe(false);

    mkdirSync(join(outdir, 'a', 'empty'));
    expect(sameOnDisk(join(outdir, 'a'), files('1'))).toBe(false);
    writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    expect(existsSync(join(outdir, 'a', 'empty'))).toBe(false);
    expect(sameOnDisk(join(outdir, 'a'), files('1'))).toBe(true);
  });

  test('a missing file or different bytes count as changed', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'eksai-write-'));
    writeDist(new Map([['a', files('1')]]), { outdir, prune: true });
    expect(sameOnDisk(join(outdir, 'a'), new Map([...files('1'), ['storage/StorageClass.gp3.yaml', 'x\n']]))).toBe(false);
    expect(sameOnDisk(join(outdir, 'a'), files('2'))).toBe(false);
    expect(sameOnDisk(join(outdir, 'missing'), files('1'))).toBe(false);
  });
});
