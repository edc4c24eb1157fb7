import { basename, dirname } from 'node:path';
import type { CrossDoc } from './types';
import { appSources } from './pods';
import { scalarText } from '../../lib/text';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** The cluster a document belongs to: its `cluster` (rendered objects), else dist/<cluster>/<component>/<file> → dist/<cluster>. */
export const clusterOf = (d: CrossDoc): string => d.cluster ?? dirname(dirname(d.file));

export const isApplication = (d: CrossDoc): boolean => d.apiVersion.startsWith('argoproj.io/') && d.kind === 'Application';
export const nameOf = (d: CrossDoc): string => scalarText(obj(d.obj.metadata).name);

/** `dist/<cluster>/<component>` (any prefix) → [cluster, component]. */
const DIST_PATH = /(?:^|\/)dist\/([^/]+)\/([^/]+)\/?$/;

/**
 * The Application that applies each document (by index): a rendered object's own Application, a dist
 * object's Application whose source path is its folder (`dist/<cluster>/<component>`). Documents no
 * validated Application applies are absent.
 */
export function owners(docs: readonly CrossDoc[]): Map<number, CrossDoc> {
  const apps = new Map<string, CrossDoc>(); // cluster \0 app name → Application
  const folders = new Map<string, CrossDoc>(); // cluster \0 component → Application
  for (const d of docs) {
    if (!isApplication(d) || d.application !== undefined) continue;
    const cluster = clusterOf(d);
    apps.set(`${cluster}\0${nameOf(d)}`, d);
    for (const { source } of appSources(d.obj)) {
      const m = typeof source.path === 'string' ? DIST_PATH.exec(source.path) : null;
      if (m && m[1] === basename(cluster)) folders.set(`${cluster}\0${m[2]}`, d);
    }
  }
  const out = new Map<number, CrossDoc>();
  docs.forEach((d, i) => {
    const app = d.application !== undefined ? apps.get(`${clusterOf(d)}\0${d.application}`) : folders.get(`${clusterOf(d)}\0${basename(dirname(d.file))}`);
    if (app) out.set(i, app);
  });
  return out;
}

/** Sync wave of an object or Application (`argocd.argoproj.io/sync-wave`, default 0). */
export const waveOf = (d: CrossDoc): number => Number(obj(obj(d.obj.metadata).annotations)['argocd.argoproj.io/sync-wave'] ?? 0) || 0;
