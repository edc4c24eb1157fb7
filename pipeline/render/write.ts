/**
 * Writes rendered releases as `<out>/<cluster>/<application>/<Kind>.<namespace>.<name>.yaml`
 * (cluster-scoped kinds: `<Kind>.<name>.yaml`), one object per file, so a user can read exactly what
 * Argo CD will apply. Each cluster folder written is replaced whole (files no longer rendered disappear).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toYamlAll } from '../synth/yaml';
import type { RenderedRelease } from './index';
import { scalarText } from '../../lib/text';

type Obj = Record<string, unknown>;

/** `group/Kind` of an object (core group: `/Kind`). */
export function groupKind(o: Obj): string {
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  return `${apiVersion.includes('/') ? apiVersion.split('/')[0] : ''}/${String(o.kind)}`;
}

/** The namespace Argo CD applies an object in: its own, else the release's; undefined when cluster-scoped. */
export function effectiveNamespace(o: Obj, release: Pick<RenderedRelease, 'namespace'>, clusterScoped: ReadonlySet<string>): string | undefined {
  if (clusterScoped.has(groupKind(o))) return undefined;
  const md = (o.metadata ?? {}) as Obj;
  return typeof md.namespace === 'string' && md.namespace ? md.namespace : release.namespace;
}

/** Relative file path → content for one release. */
export function releaseFiles(release: RenderedRelease, clusterScoped: ReadonlySet<string>): Map<string, string> {
  const files = new Map<string, string>();
  const header = `# rendered by eksai — do not edit (${release.chart} ${release.version} ${release.digest}, Application ${release.application} in ${release.file})\n`;
  const texts = toYamlAll(release.objects);
  release.objects.forEach((o, i) => {
    const name = scalarText(((o.metadata ?? {}) as Obj).name, 'unnamed');
    const ns = effectiveNamespace(o, release, clusterScoped);
    const base = ns === undefined ? `${String(o.kind)}.${name}` : `${String(o.kind)}.${ns}.${name}`;
    let file = `${base}.yaml`;
    for (let n = 2; files.has(file); n++) file = `${base}.${n}.yaml`;
    files.set(file, header + texts[i]);
  });
  return files;
}

/** Writes every release; returns the number of files written. */
export function writeRendered(outDir: string, releases: readonly RenderedRelease[], clusterScoped: ReadonlySet<string>): number {
  let count = 0;
  for (const cluster of [...new Set(releases.map((r) => r.cluster))]) {
    const tmp = join(outDir, `.${cluster}.${process.pid}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    for (const r of releases.filter((x) => x.cluster === cluster)) {
      const dir = join(tmp, r.application);
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of releaseFiles(r, clusterScoped)) {
        writeFileSync(join(dir, file), text);
        count++;
      }
    }
    rmSync(join(outDir, cluster), { recursive: true, force: true });
    renameSync(tmp, join(outDir, cluster));
  }
  return count;
}
