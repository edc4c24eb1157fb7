import { join } from 'node:path';
import type { RenderedRelease } from '../render';
import { effectiveNamespace } from '../render/write';
import { scalarText } from '../../lib/text';

type Obj = Record<string, unknown>;

/** A rendered object as validate reads it: a virtual file, the dist cluster folder and the Application it belongs to. */
export interface RenderedDoc {
  readonly file: string;
  readonly line: number;
  readonly value: Obj;
  readonly cluster: string;
  readonly application: string;
  /** Index of the object in its release's `objects` (determinism findings point back at it). */
  readonly index: number;
}

/**
 * Every object of the releases as a document at `rendered/<cluster>/<application>/<Kind>.<namespace>.<name>.yaml`
 * (cluster-scoped: `<Kind>.<name>.yaml`, as `eksai render` writes them). A namespaced object without a
 * namespace gets the release's, as Argo CD applies it (controller/state.go DeduplicateTargetObjects).
 */
export function renderedDocs(releases: readonly RenderedRelease[], clusterScoped: ReadonlySet<string>, distDir = 'dist'): RenderedDoc[] {
  const out: RenderedDoc[] = [];
  // Renders intern equal objects (one JS object for all clusters and releases that render it); the same
  // object with the same namespace filled in stays one object too, so validate checks it once.
  const filled = new Map<Obj, Map<string, Obj>>();
  const withNamespace = (o: Obj, meta: Obj, ns: string): Obj => {
    const byNs = filled.get(o) ?? new Map<string, Obj>();
    filled.set(o, byNs);
    let v = byNs.get(ns);
    if (!v) byNs.set(ns, (v = { ...o, metadata: { ...meta, namespace: ns } }));
    return v;
  };
  for (const r of releases) {
    const seen = new Set<string>();
    r.objects.forEach((o, index) => {
      const meta = (o.metadata ?? {}) as Obj;
      const ns = effectiveNamespace(o, r, clusterScoped);
      const base = `${String(o.kind)}.${ns === undefined ? '' : `${ns}.`}${scalarText(meta.name, 'unnamed')}`;
      let file = `${base}.yaml`;
      for (let n = 2; seen.has(file); n++) file = `${base}.${n}.yaml`;
      seen.add(file);
      const value = ns !== undefined && meta.namespace !== ns ? withNamespace(o, meta, ns) : o;
      out.push({
        file: `rendered/${r.cluster}/${r.application}/${file}`,
        line: 1,
        value,
        cluster: join(distDir, r.cluster),
        application: r.application,
        index,
      });
    });
  }
  return out;
}

/**
 * The dist clusters whose Applications are among the validated files (`dist/<cluster>/apps/…`): validate
 * renders their releases. Validating one component folder alone renders nothing.
 */
export function distClusters(files: readonly string[], distDir = 'dist'): string[] {
  const prefix = `${distDir}/`;
  const clusters = files.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length).split('/'));
  return [...new Set(clusters.filter((parts) => parts.length > 2 && parts[1] === 'apps').map((parts) => parts[0]!))].sort();
}
