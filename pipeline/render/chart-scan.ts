/** What render learns from a chart's files before running helm (memoized per chart digest). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { crdApiVersions } from './api-versions';
import type { ResolvedChart } from './charts';

/** Every file of a chart folder (subcharts included), depth first, with its path relative to the chart and its text. */
function* chartFiles(dir: string, rel = ''): Generator<{ readonly path: string; readonly name: string; readonly text: string }> {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel === '' ? e.name : join(rel, e.name);
    if (e.isDirectory()) yield* chartFiles(dir, path);
    else yield { path, name: e.name, text: readFileSync(join(dir, path), 'utf8') };
  }
}

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
    for (const { text } of chartFiles(chart.dir)) {
      if (!text.includes('Capabilities.APIVersions')) continue;
      const all = text.match(/Capabilities\.APIVersions/g)!.length;
      const has = [...text.matchAll(/Capabilities\.APIVersions\.Has\s+"([^"]+)"/g)];
      for (const m of has) literals.add(m[1]!);
      if (has.length !== all) other = true;
    }
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

/**
 * Template functions whose result can differ between two `helm template` runs of the same inputs: time
 * (sprig `now`; the other date functions take a time), randomness (sprig rand*, uuidv4, shuffle, and the
 * crypto helpers that generate keys, serials, salts or IVs: genCA*, genPrivateKey, genSelfSignedCert*,
 * genSignedCert*, htpasswd, bcrypt, encryptAES), the network (getHostByName), and map order (sprig `keys`
 * and `values` list a dict in Go's random map order). Everything else Helm offers is a function of its
 * inputs: text/template ranges over maps in key order, toYaml/toJson sort keys, `lookup` is empty in
 * `helm template`, and Helm removes sprig's env/expandenv (pkg/engine/funcs.go).
 */
const VARYING =
  /(?<![\w.$])(now|rand[A-Za-z]*|uuidv4|shuffle|genCA[A-Za-z]*|genPrivateKey|genSelfSignedCert[A-Za-z]*|genSignedCert[A-Za-z]*|htpasswd|bcrypt|encryptAES|getHostByName|keys|values)\b/;

/**
 * Every `{{ … }}` action of a text, as code: comments and string literals removed, and `keys`/`values` uses
 * whose order cannot matter (piped to or wrapped in `sortAlpha` or `len`) dropped.
 */
const actions = (text: string): string[] =>
  [...text.replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, '').matchAll(/\{\{([\s\S]*?)\}\}/g)].map((m) =>
    m[1]!
      .replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""')
      .replace(/(?<![\w.$])(?:keys|values)\b[^|()]*\|\s*(?:sortAlpha|len)\b/g, '')
      .replace(/\|\s*(?:keys|values)\s*\|\s*(?:sortAlpha|len)\b/g, '')
      .replace(/\b(?:sortAlpha|len)\s*\(\s*(?:keys|values)\b[^()]*\)/g, ''),
  );

/**
 * The varying functions a chart's templates can call: the first one found, with its file, or undefined when
 * none. Every file of the chart is read (templates, helpers, subcharts, and files a template may pass to
 * `tpl`). Memoized per chart digest.
 */
const varyingMemo = new Map<string, { readonly fn: string; readonly file: string } | null>();
export function varyingFunction(chart: ResolvedChart): { readonly fn: string; readonly file: string } | undefined {
  let v = varyingMemo.get(chart.digest);
  if (v === undefined) {
    v = null;
    search: for (const { path, name, text } of chartFiles(chart.dir)) {
      // NOTES.txt is the install notes, not a manifest: helm template renders it into no object.
      if (name === 'NOTES.txt' || !text.includes('{{')) continue;
      for (const a of actions(text)) {
        const m = VARYING.exec(a);
        if (m) {
          v = { fn: m[1]!, file: path };
          break search;
        }
      }
    }
    varyingMemo.set(chart.digest, v);
  }
  return v ?? undefined;
}

/** Whether some string of the values holds a template action that calls a varying function (a chart may `tpl` it). */
export function valuesVary(values: unknown): boolean {
  if (typeof values === 'string') return values.includes('{{') && actions(values).some((a) => VARYING.test(a));
  if (Array.isArray(values)) return values.some(valuesVary);
  if (values !== null && typeof values === 'object') return Object.values(values).some(valuesVary);
  return false;
}
