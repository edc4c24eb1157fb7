import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump } from 'js-yaml';
import { lookupsFor, minimalInput, REPO } from '../../helpers';

/** The offline chart mirror: EKSAI_CHART_MIRROR, else ../shared/charts beside the repo (as .ci/run sets it). */
export function chartMirror(): string {
  const mirror = resolve(REPO, process.env.EKSAI_CHART_MIRROR || join('..', 'shared', 'charts'));
  if (!existsSync(mirror)) throw new Error(`no chart mirror at ${mirror}: set EKSAI_CHART_MIRROR`);
  return mirror;
}

/** Schemas for the built-in API versions: EKSAI_SCHEMA_MIRROR, else ../shared/schemas; made absolute (tests run eksai in temp repos). */
export function useSchemaMirror(): void {
  process.env.EKSAI_SCHEMA_MIRROR = resolve(REPO, process.env.EKSAI_SCHEMA_MIRROR || join('..', 'shared', 'schemas'));
}

const temps: string[] = [];
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `eksai-${prefix}-`));
  temps.push(dir);
  return dir;
}
export function cleanTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface AppSpec {
  readonly name: string;
  readonly repoURL: string;
  readonly chart?: string;
  readonly version: string;
  readonly namespace?: string;
  readonly values?: Record<string, unknown>;
}

/**
 * A throwaway repo: dist/<cluster>/apps/Application.<name>.yaml per app, an optional lock, and a plain-data
 * clusters/index.ts (minimal clusters, Kubernetes version by default) so the real CLI runs in it.
 */
export function tempRepo(apps: Readonly<Record<string, readonly AppSpec[]>>, lock?: unknown): string {
  const cwd = tempDir('render-repo');
  mkdirSync(join(cwd, 'clusters'));
  const inputs = Object.keys(apps).map((name) => minimalInput({ name }));
  writeFileSync(
    join(cwd, 'clusters', 'index.ts'),
    `export const clusters = {\n${inputs.map((i) => `  ${JSON.stringify(i.name)}: ${JSON.stringify(i)},`).join('\n')}\n};\n`,
  );
  for (const i of inputs) writeFileSync(join(cwd, 'clusters', `${i.name}.lookups.json`), JSON.stringify(lookupsFor(i.name, 'us-west-2', i)));
  for (const [cluster, list] of Object.entries(apps)) {
    const dir = join(cwd, 'dist', cluster, 'apps');
    mkdirSync(dir, { recursive: true });
    for (const a of list) {
      const app = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: a.name, namespace: 'argocd' },
        spec: {
          project: 'platform',
          destination: { server: 'https://kubernetes.default.svc', namespace: a.namespace ?? 'default' },
          source: {
            repoURL: a.repoURL,
            ...(a.chart ? { chart: a.chart } : { path: '.' }),
            targetRevision: a.version,
            helm: { releaseName: a.name, valuesObject: a.values ?? {} },
          },
        },
      };
      writeFileSync(join(dir, `Application.${a.name}.yaml`), dump(app));
    }
  }
  mkdirSync(join(cwd, 'charts'), { recursive: true });
  if (lock !== undefined) writeFileSync(join(cwd, 'charts', 'charts.lock.json'), JSON.stringify(lock));
  return cwd;
}

/** Writes a chart folder `<dir>/<name>-<version>/` from a map of relative path → content. */
export function writeChart(dir: string, name: string, version: string, files: Readonly<Record<string, string>>): string {
  const root = join(dir, `${name}-${version}`);
  mkdirSync(join(root, 'templates'), { recursive: true });
  writeFileSync(join(root, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\n`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}
