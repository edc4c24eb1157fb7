/** What render learns from a chart's files before running helm (memoized per chart digest). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { crdApiVersions } from './api-versions';
import type { ResolvedChart } from './charts';

/**
 * Which --api-versions a chart's output can depend on: the literals of its `.Capabilities.APIVersions.Has "<v>"`
 * calls, or 'all' when some file of the chart (templates, helpers, files rendered with `tpl`) reads
 * .Capabilities.APIVersions otherwise. The render cache keys on just
 * these, so a CRD appearing elsewhere in the cluster re-renders only the charts that ask for it.
 */
const queriedMemo = new Map<string, ReadonlySet<string> | 'all'>();
export function queriedApiVersions(chart: ResolvedChart): ReadonlySet<string> | 'all' {
  let q = queriedMemo.get(chart.digest);
  if (q === undefined) {
    const literals = new Set<string>();
    let other = false;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else {
          const text = readFileSync(p, 'utf8');
          if (!text.includes('Capabilities.APIVersions')) continue;
          const all = text.match(/Capabilities\.APIVersions/g)!.length;
          const has = [...text.matchAll(/Capabilities\.APIVersions\.Has\s+"([^"]+)"/g)];
          for (const m of has) literals.add(m[1]!);
          if (has.length !== all) other = true;
        }
      }
    };
    walk(chart.dir);
    q = other ? 'all' : literals;
    queriedMemo.set(chart.digest, q);
  }
  return q;
}

/** API versions of the CRDs in the chart's (and its subcharts') crds/ folders, which helm installs verbatim. */
const staticCrdMemo = new Map<string, string[]>();
export function staticCrdApiVersions(chart: ResolvedChart): string[] {
  let v = staticCrdMemo.get(chart.digest);
  if (!v) {
    const out: string[] = [];
    const walk = (d: string, inCrds: boolean) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p, e.name === 'crds' || (inCrds && e.name !== 'templates'));
        else if (inCrds && /\.(ya?ml|json)$/.test(e.name)) {
          try {
            for (const doc of loadAll(readFileSync(p, 'utf8'))) out.push(...crdApiVersions(doc));
          } catch {
            // not plain YAML: helm would fail on it too; the render reports that
          }
        }
      }
    };
    walk(chart.dir, false);
    v = [...new Set(out)];
    staticCrdMemo.set(chart.digest, v);
  }
  return v;
}
