/**
 * The pull path against a real Helm repository the test serves on 127.0.0.1: charts packaged at test time
 * from the mirror with `helm package` + `helm repo index`, served by a node http server.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EnvironmentError } from '../../../lib/errors';
import { renderReleases } from '../../../pipeline/render';
import { resolveHelm } from '../../../pipeline/render/helm';
import { eksai } from '../../helpers';
import { chartMirror, cleanTemps, tempDir, tempRepo, useSchemaMirror } from './helpers';

useSchemaMirror();
const CHART = 'dcgm-exporter';
const VERSION = '4.1.1';
let helm: string;
let helmCache: string;

/** Packages the mirror's chart (optionally modified) into a fresh repository folder with an index.yaml. */
function repository(modify?: (chartDir: string) => void): { dir: string; digest: string } {
  const dir = tempDir('helm-repo');
  const src = join(tempDir('helm-src'), CHART);
  cpSync(join(chartMirror(), `${CHART}-${VERSION}`), src, { recursive: true });
  modify?.(src);
  execFileSync(helm, ['package', src, '--destination', dir], { stdio: 'pipe' });
  execFileSync(helm, ['repo', 'index', dir], { stdio: 'pipe' });
  const digest = `sha256:${createHash('sha256')
    .update(readFileSync(join(dir, `${CHART}-${VERSION}.tgz`)))
    .digest('hex')}`;
  return { dir, digest };
}

function serve(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = join(dir, decodeURIComponent((req.url ?? '/').split('?')[0]!));
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200);
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}
const stop = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

function repoFor(url: string, version = VERSION, lock?: unknown): string {
  return tempRepo({ c1: [{ name: CHART, repoURL: url, chart: CHART, version, namespace: 'monitoring' }] }, lock);
}
const lockOf = (url: string, digest: string) => ({
  lockfileVersion: 1,
  charts: { [`${CHART}@${VERSION}`]: { repoURL: url, chart: CHART, version: VERSION, digest } },
});
const opts = (cwd: string, cacheDir: string) => ({ cwd, cacheDir, chartMirror: '', kubeVersions: { c1: '1.35' }, helm });

beforeAll(() => {
  helmCache = tempDir('helm-bin');
  helm = resolveHelm({ cacheDir: helmCache }).path;
});
afterAll(cleanTemps);

describe('helm pull from a classic repository on 127.0.0.1', () => {
  test('pulls once into the content-addressed cache, records the digest, and renders from the cache when the repository is gone', async () => {
    const repo = repository();
    const { url, server } = await serve(repo.dir);
    const cacheDir = tempDir('chart-cache');
    const first = await renderReleases({ ...opts(repoFor(url), cacheDir), updateLock: true });
    expect(first.lock).toEqual([{ repoURL: url, chart: CHART, version: VERSION, digest: repo.digest }]);
    expect(first.releases[0]).toMatchObject({ digest: repo.digest, digestKind: 'archive', namespace: 'monitoring' });
    expect(first.releases[0]!.objects.some((o) => o.kind === 'DaemonSet')).toBe(true);
    expect(existsSync(join(cacheDir, 'sha256', `${repo.digest.slice(7)}.tgz`))).toBe(true);
    await stop(server);
    // Chart cache hit: no repository, no render cache either.
    rmSync(join(cacheDir, '.renders'), { recursive: true, force: true });
    const again = await renderReleases(opts(repoFor(url, VERSION, lockOf(url, repo.digest)), cacheDir));
    expect(again.helmRuns).toBe(1);
    expect(again.releases[0]!.objects).toEqual(first.releases[0]!.objects);
  });

  test('fails when the pulled archive differs from the locked digest, naming both digests', async () => {
    const original = repository();
    const changed = repository((dir) => writeFileSync(join(dir, 'values.yaml'), `${readFileSync(join(dir, 'values.yaml'), 'utf8')}\n# changed upstream\n`));
    expect(changed.digest).not.toBe(original.digest);
    const { url, server } = await serve(changed.dir);
    try {
      const err = await renderReleases(opts(repoFor(url, VERSION, lockOf(url, original.digest)), tempDir('chart-cache'))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EnvironmentError);
      expect((err as Error).message).toBe(
        `${CHART} ${VERSION} from ${url}: the pulled archive has digest ${changed.digest} but charts/charts.lock.json locks ${CHART}@${VERSION} at ${original.digest}: the chart changed upstream or in the mirror; if the change is expected, review it and run \`eksai render --update-lock\`, else restore the chart`,
      );
    } finally {
      await stop(server);
    }
  });

  test('fails when the repository has no such version', async () => {
    const repo = repository();
    const { url, server } = await serve(repo.dir);
    try {
      const err = await renderReleases({ ...opts(repoFor(url, '9.9.9'), tempDir('chart-cache')), updateLock: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EnvironmentError);
      expect((err as Error).message).toMatch(
        new RegExp(`^${CHART} 9.9.9 from ${url}: helm pull failed: .*9\\.9\\.9.*not found.*: check the repository URL and version in charts/versions.ts`),
      );
    } finally {
      await stop(server);
    }
  });

  test('fails with exit code 2 when the repository is down', async () => {
    const repo = repository();
    const { url, server } = await serve(repo.dir);
    await stop(server);
    const cwd = repoFor(url, VERSION, lockOf(url, repo.digest));
    const cacheDir = tempDir('chart-cache');
    const err = await renderReleases(opts(cwd, cacheDir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(new RegExp(`^${CHART} ${VERSION} from ${url}: helm pull failed: .*(cannot be reached|connection refused)`));
    const out = tempDir('rendered');
    mkdirSync(out, { recursive: true });
    const r = eksai(['render', '--cwd', cwd, '--out', out], { EKSAI_CHART_CACHE: cacheDir, EKSAI_CHART_MIRROR: '', EKSAI_HELM: helm });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`eksai render: ${CHART} ${VERSION} from ${url}: helm pull failed`);
  });
});
