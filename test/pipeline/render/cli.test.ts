import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { eksai } from '../../helpers';
import { cleanTemps, tempDir, tempRepo, useSchemaMirror, writeChart } from './helpers';

useSchemaMirror();
afterAll(cleanTemps);

describe('eksai render', () => {
  test('--help says where output goes and how helm is chosen', () => {
    const r = eksai(['render', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: eksai render [--cluster <name>...] [--out <dir> | --no-write] [--update-lock] [--format text|json]');
    expect(r.stdout).toContain('EKSAI_HELM, else helm on PATH (>= 3.17)');
  });

  test('writes <out>/<cluster>/<application>/<Kind>.<namespace>.<name>.yaml, --update-lock first writes the lock', () => {
    const mirror = tempDir('cli-mirror');
    writeChart(mirror, 'demo', '1.0.0', {
      'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo-cm\n',
      'templates/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n',
    });
    const cwd = tempRepo({ c1: [{ name: 'demo', repoURL: 'https://charts.example.com', chart: 'demo', version: '1.0.0', namespace: 'apps' }] });
    const out = join(tempDir('cli-out'), 'rendered');
    const env = { EKSAI_CHART_MIRROR: mirror, EKSAI_CHART_CACHE: tempDir('cli-cache') };
    const noLock = eksai(['render', '--cwd', cwd, '--out', out], env);
    expect(noLock.status).toBe(2);
    expect(noLock.stderr).toContain('charts/charts.lock.json has no treeDigest for demo@1.0.0');
    const r = eksai(['render', '--cwd', cwd, '--out', out, '--update-lock'], env);
    expect(r.stderr).toMatch(/helm: \S+ \(v\d+\.\d+\.\d+, from (bundled|PATH|EKSAI_HELM)\)/);
    expect(r.stdout).toBe(
      `rendered 1 release of 1 cluster (c1): 2 objects in 2 files → ${out} (1 helm run, ${/\d+\.\d\ds/.exec(r.stdout)![0]}); wrote charts/charts.lock.json, charts/release-scope.json\n`,
    );
    expect(r.status).toBe(0);
    expect(readdirSync(join(out, 'c1', 'demo')).sort()).toEqual(['ConfigMap.apps.demo-cm.yaml', 'Namespace.extra.yaml']);
    expect(readFileSync(join(out, 'c1', 'demo', 'ConfigMap.apps.demo-cm.yaml'), 'utf8')).toMatch(
      /^# rendered by eksai — do not edit \(demo 1\.0\.0 sha256:[0-9a-f]{64}, Application demo in dist\/c1\/apps\/Application\.demo\.yaml\)\napiVersion: v1\nkind: ConfigMap\n/,
    );
    expect(JSON.parse(readFileSync(join(cwd, 'charts', 'charts.lock.json'), 'utf8')).charts['demo@1.0.0']).toMatchObject({
      repoURL: 'https://charts.example.com',
      treeDigest: expect.stringMatching(/^sha256:/),
    });
    const again = eksai(['render', '--cwd', cwd, '--out', out, '--format', 'json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ helmRuns: 0, files: 2, releases: [{ cluster: 'c1', application: 'demo', objects: 2 }] });
  });

  test('fails when --cluster names a cluster without dist', () => {
    const cwd = tempRepo({ c1: [] });
    const r = eksai(['render', '--cwd', cwd, '--cluster', 'nope'], { EKSAI_CHART_CACHE: tempDir('cli-cache') });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/nope has no apps/ folder (unknown cluster or dist not synthesized): check --cluster or run `eksai synth`');
  });
});
