import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CrossDoc, ValidationProblem } from './types';
import { clusterOf, isApplication as isApp, nameOf } from './owners';
import { destinationCluster, destinationPermitted, globMatch } from './project';
import { appSources } from './pods';
import { scalarText } from '../../lib/text';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strs = (v: unknown): string[] => arr(v).filter((x): x is string => typeof x === 'string');
const isProject = (d: CrossDoc): boolean => d.apiVersion.startsWith('argoproj.io/') && d.kind === 'AppProject';
const componentOf = (file: string): string => basename(dirname(file));

/** Allowed when some positive pattern matches and no `!` pattern does (Argo CD's source/destination rules). */
function allowed(patterns: readonly string[], value: string): boolean {
  const denied = patterns.some((p) => p.startsWith('!') && globMatch(p.slice(1), value));
  return !denied && patterns.some((p) => !p.startsWith('!') && globMatch(p, value));
}

/** `dist/<cluster>/<component>` (any prefix) → [cluster, component]. */
const DIST_PATH = /(?:^|\/)dist\/([^/]+)\/([^/]+)\/?$/;

/**
 * Argo CD Application checks inside one cluster's dist: every `dist/<cluster>/<component>` source path exists
 * (among the validated folders or on disk next to them), and the AppProject allows the source repoURL and the destination.
 * When each custom resource's CRD is installed is crds.ts's check (cross/crd-installed).
 */
export function argoProblems(docs: readonly CrossDoc[], out: Map<number, ValidationProblem[]>, cwd: string): void {
  const add = (i: number, path: string, message: string, id: string): void => {
    out.set(i, [...(out.get(i) ?? []), { path, message, rule: `cross/${id}` }]);
  };
  const byCluster = new Map<string, number[]>();
  docs.forEach((d, i) => {
    if (d.application === undefined) byCluster.set(clusterOf(d), [...(byCluster.get(clusterOf(d)) ?? []), i]);
  });
  for (const [cluster, indices] of byCluster) {
    const group = indices.map((i) => ({ i, d: docs[i]! }));
    const folders = new Set(group.map(({ d }) => componentOf(d.file)));
    const projects = new Map(group.filter(({ d }) => isProject(d)).map(({ d }) => [nameOf(d), d]));
    const apps = group.filter(({ d }) => isApp(d));
    for (const { i, d } of apps) {
      const project = projects.get(scalarText(obj(d.obj.spec).project));
      const dest = obj(obj(d.obj.spec).destination);
      if (project) {
        const spec = obj(project.obj.spec);
        const ns = scalarText(dest.namespace);
        const fits = destinationPermitted(spec, { ...destinationCluster(d.obj), namespace: ns });
        if (!fits) {
          add(
            i,
            'spec.destination',
            `AppProject ${nameOf(project)} does not allow destination ${scalarText(dest.server ?? dest.name, '?')} namespace ${JSON.stringify(ns)}: add it to the project's destinations or change the destination`,
            'project-allows-destination',
          );
        }
      }
      for (const { path, source } of appSources(d.obj)) {
        const repo = scalarText(source.repoURL);
        if (project && !allowed(strs(obj(project.obj.spec).sourceRepos), repo)) {
          add(
            i,
            `${path}.repoURL`,
            `AppProject ${nameOf(project)} does not allow source ${JSON.stringify(repo)}: add it to the project's sourceRepos`,
            'project-allows-source',
          );
        }
        const m = typeof source.path === 'string' ? DIST_PATH.exec(source.path) : null;
        if (!m || m[1] !== basename(cluster)) continue;
        // A folder that was not among the validated paths may still exist (validating dist/<cluster>/apps alone).
        if (!folders.has(m[2]!) && !existsSync(join(resolve(cwd, cluster), m[2]!))) {
          add(
            i,
            `${path}.path`,
            `${source.path as string} has no manifests in ${cluster} (folders: ${[...folders].sort().join(', ')}): fix the path or synthesize the component`,
            'app-path-exists',
          );
        }
      }
    }
  }
}
