import type { RenderedRelease } from '../render';
import type { ValidationProblem } from './types';
import { childPath } from '../check/cel';
import { fileMatch } from './project';

/**
 * Render determinism: each release is rendered twice from the same inputs; a field that differs (a
 * certificate from genCA, a token from randAlphaNum, a checksum of either) makes Argo CD report the
 * Application OutOfSync forever, and self-heal rewrites it on every sync (rotating CAs under running pods).
 * Every such field must be masked by the Application's spec.ignoreDifferences, applied as Argo CD applies it
 * (argo-cd v3.5.1 util/argo/normalizers/diff_normalizer.go: entries match by group/kind glob, name and
 * namespace; jsonPointers are JSON-patch removes, jqPathExpressions `del(<expr>)`), else it is reported
 * with the entry to add. managedFieldsManagers only mask fields other controllers own in the live object, so
 * they cannot mask a render difference.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface IgnoreEntry {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly jsonPointers: readonly string[];
  readonly jqPathExpressions: readonly string[];
}

const groupOf = (o: Obj): string => (str(o.apiVersion).includes('/') ? str(o.apiVersion).split('/')[0]! : '');
const metaOf = (o: Obj): Obj => (isObj(o.metadata) ? o.metadata : {});

/** The Application's ignoreDifferences entries. */
function ignoreEntries(app: Obj): IgnoreEntry[] {
  const list = isObj(app.spec) && Array.isArray(app.spec.ignoreDifferences) ? app.spec.ignoreDifferences : [];
  return list.filter(isObj).map((e) => ({
    group: str(e.group),
    kind: str(e.kind),
    name: str(e.name),
    namespace: str(e.namespace),
    jsonPointers: (Array.isArray(e.jsonPointers) ? e.jsonPointers : []).filter((p): p is string => typeof p === 'string'),
    jqPathExpressions: (Array.isArray(e.jqPathExpressions) ? e.jqPathExpressions : []).filter((p): p is string => typeof p === 'string'),
  }));
}

/** Argo CD util/glob.Match: a glob, or the literal when the pattern does not compile. */
const argoGlob = (pattern: string, value: string): boolean => pattern === value || fileMatch(pattern, value);

function applies(e: IgnoreEntry, o: Obj, namespace: string): boolean {
  return (
    argoGlob(e.group, groupOf(o)) && argoGlob(e.kind, str(o.kind)) && (!e.name || e.name === str(metaOf(o).name)) && (!e.namespace || e.namespace === namespace)
  );
}

/** RFC 6901 pointer → tokens. */
const tokens = (pointer: string): string[] =>
  pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
const pointerOf = (path: readonly (string | number)[]): string => path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** A jq path step: a key, an index, or every element (`[]`). */
type Step = { key: string } | { index: number } | { each: true };

/**
 * The paths a simple jq path expression names: `.a.b`, `.a["x.y"]`, `.a[0]`, `.a[]`, optional `?` — the forms
 * ignoreDifferences uses in practice. Undefined for anything else (pipes, select…): such an entry is not
 * applied here, and a difference it would mask is still reported.
 */
export function jqSteps(expr: string): Step[] | undefined {
  const steps: Step[] = [];
  const re = /\s*(?:\.([A-Za-z_][A-Za-z0-9_]*)|\.?\["((?:[^"\\]|\\.)*)"\]|\.?\[(\d+)\]|\.?\[\])\??/y;
  let at = 0;
  const text = expr.trim();
  if (text === '.') return [];
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ key: JSON.parse(`"${m[2]}"`) as string });
    else if (m[3] !== undefined) steps.push({ index: Number(m[3]) });
    else steps.push({ each: true });
    at = re.lastIndex;
  }
  return steps;
}

/** Does a masked path (steps) cover a concrete path (a field or anything below it)? */
function covers(mask: readonly Step[], path: readonly (string | number)[]): boolean {
  if (mask.length > path.length) return false;
  // A JSON pointer token addresses an array item by its index ("0"), so keys compare as strings.
  return mask.every((s, i) => ('each' in s ? typeof path[i] === 'number' : 'key' in s ? String(path[i]) === s.key : path[i] === s.index));
}

/** Leaf paths where two values differ (a missing key or a changed array length is reported at the parent). */
export function differences(a: unknown, b: unknown, path: (string | number)[] = []): (string | number)[][] {
  // The render cache interns equal objects (pipeline/render/cache.ts): an unchanged object of the second render is the same one.
  if (a === b) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path];
    return a.flatMap((v, i) => differences(v, b[i], [...path, i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => (k in a && k in b ? differences(a[k], b[k], [...path, k]) : [[...path, k]]));
  }
  return a === b || (Number.isNaN(a) && Number.isNaN(b)) ? [] : [path];
}

const identity = (o: Obj, namespace: string): string => `${groupOf(o)}/${str(o.kind)}/${namespace}/${str(metaOf(o).name)}`;

/** One release's unmasked differences: object index in `objects` → the differing JSON pointers. */
export function releaseDifferences(release: Pick<RenderedRelease, 'objects' | 'second' | 'manifest' | 'namespace'>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  if (!release.second) return out;
  const nsOf = (o: Obj): string => str(metaOf(o).namespace) || release.namespace;
  const second = new Map(release.second.map((o) => [identity(o, nsOf(o)), o]));
  const entries = ignoreEntries(release.manifest);
  release.objects.forEach((o, i) => {
    const other = second.get(identity(o, nsOf(o)));
    if (!other) {
      out.set(i, ['']);
      return;
    }
    const masks: Step[][] = [];
    for (const e of entries.filter((x) => applies(x, o, nsOf(o)))) {
      for (const p of e.jsonPointers) masks.push(tokens(p).map((t) => ({ key: t })));
      for (const q of e.jqPathExpressions) {
        const steps = jqSteps(q);
        if (steps) masks.push(steps);
      }
    }
    const left = differences(o, other).filter((path) => !masks.some((m) => covers(m, path)));
    if (left.length > 0) out.set(i, left.map(pointerOf));
  });
  return out;
}

/** The finding for one object: the fields and the ignoreDifferences entry that would mask them. */
export function determinismProblem(
  release: Pick<RenderedRelease, 'application' | 'chart' | 'version'>,
  o: Obj,
  pointers: readonly string[],
): ValidationProblem {
  const meta = metaOf(o);
  if (pointers.length === 1 && pointers[0] === '') {
    return {
      path: '',
      message: `${str(o.kind)} ${str(meta.name)} is rendered by only one of two helm template runs of chart ${release.chart} ${release.version}: the chart's output is not deterministic`,
      rule: 'cross/render-deterministic',
    };
  }
  const entry = {
    group: groupOf(o),
    kind: str(o.kind),
    name: str(meta.name),
    ...(str(meta.namespace) ? { namespace: str(meta.namespace) } : {}),
    jsonPointers: [...pointers],
  };
  return {
    path: pointers.map((p) => tokens(p).reduce((acc, t) => (/^\d+$/.test(t) ? `${acc}[${t}]` : childPath(acc, t)), '')).join(', '),
    message:
      `${pointers.length === 1 ? 'field' : 'fields'} ${pointers.join(', ')} of ${str(o.kind)} ${str(meta.name)} differ between two helm template runs of chart ${release.chart} ${release.version} (generated anew on every render): ` +
      `Argo CD would show Application ${release.application} OutOfSync forever and self-heal would rewrite them; add to its spec.ignoreDifferences ${JSON.stringify(entry)}, or make the chart generate them once (e.g. a cert-manager or cronJob generator)`,
    rule: 'cross/render-deterministic',
  };
}
