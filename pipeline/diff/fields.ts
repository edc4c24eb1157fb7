import { childCursor, itemsCursor, schemaListKey, UNTYPED_KEYS, type ListKey, type SchemaCursor } from './listkeys';
import { childHidden, leafHidden, redact, type Hidden } from './secrets';
import type { FieldChange } from './types';
import { parseYamlBounded } from './yaml';
import { scalarText } from '../../lib/text';

/** Where a value sits: its hidden state (secrets.ts) and, for typed resources, its schema (list keys). */
export interface FieldContext {
  readonly hidden: Hidden;
  readonly schema?: SchemaCursor;
}

const ROOT: FieldContext = { hidden: false };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function joinPath(path: string, seg: string): string {
  return path === '' ? seg : `${path}.${seg}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const isScalar = (v: unknown): boolean => v === null || typeof v !== 'object';

/** A value shown whole (a removed or added list item, a list of scalars), its secrets replaced. */
function whole(path: string, a: unknown, b: unknown, ctx: FieldContext, out: FieldChange[]): void {
  const ra = redact(a, ctx.hidden);
  const rb = redact(b, ctx.hidden);
  const flat = (v: unknown) => isScalar(v) || (Array.isArray(v) && v.every(isScalar));
  // A scalar or a list of scalars with anything hidden is hidden whole (not even how many items).
  if (ctx.hidden === 'hard' || (flat(a) && flat(b) && (!sameJson(ra, a) || !sameJson(rb, b)))) {
    out.push({ path, hidden: true });
    return;
  }
  const change: { path: string; old?: unknown; new?: unknown } = { path };
  if (a !== undefined) change.old = ra;
  if (b !== undefined) change.new = rb;
  out.push(change);
}

/** A string holding a serialized object (`last-applied-configuration`, JSON annotations): parsed, else undefined. */
function serialized(v: unknown): unknown {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (!((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']')))) return undefined;
  try {
    const parsed: unknown = JSON.parse(t);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Helm values given as a YAML string, parsed with diff's bounded reader; undefined when it cannot be. */
function helmValues(v: unknown): { value: unknown } | undefined {
  if (v === undefined) return { value: undefined };
  if (typeof v !== 'string') return undefined;
  const docs = parseYamlBounded(v);
  return docs.length <= 1 && docs.every((d) => d.error === undefined) ? { value: docs[0]?.value ?? {} } : undefined;
}

/**
 * Field-level changes between two values, down to scalar leaves. Lists align by identity (lists.ts keys,
 * else equal items anchor and the rest compare in place), so a removed item is one removal. Secret values
 * are never in the result (secrets.ts): a hidden change is `{ path, hidden: true }`.
 */
export function diffValues(a: unknown, b: unknown, path = '', ctx: FieldContext = ROOT, out: FieldChange[] = []): FieldChange[] {
  if (sameJson(a, b)) return out;
  // A subtree only one side has (a removed team's entry, a new block) is one change, shown whole and redacted.
  if (path !== '' && ((a === undefined && (isRecord(b) || Array.isArray(b))) || (b === undefined && (isRecord(a) || Array.isArray(a))))) {
    whole(path, a, b, ctx, out);
    return out;
  }
  if ((isRecord(a) || a === undefined) && (isRecord(b) || b === undefined) && (a !== undefined || b !== undefined)) {
    const ra = a ?? {};
    const rb = b ?? {};
    for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
      const sub = joinPath(path, k);
      const child: FieldContext = { hidden: childHidden([a, b], k, ctx.hidden), schema: childCursor(ctx.schema, k) };
      if (k === 'values' && (path === 'helm' || path.endsWith('.helm')) && (typeof ra[k] === 'string' || typeof rb[k] === 'string')) {
        const va = helmValues(ra[k]);
        const vb = helmValues(rb[k]);
        // Values that do not parse (or refuse to: an alias bomb) are never shown: they may hold anything.
        if (va && vb) diffValues(va.value, vb.value, sub, { hidden: child.hidden }, out);
        else if (!sameJson(ra[k], rb[k])) out.push({ path: sub, hidden: true });
      } else diffValues(ra[k], rb[k], sub, child, out);
    }
    return out;
  }
  if ((Array.isArray(a) || a === undefined) && (Array.isArray(b) || b === undefined)) {
    diffList(a, b, path, ctx, out);
    return out;
  }
  const pa = a === undefined ? undefined : serialized(a);
  const pb = b === undefined ? undefined : serialized(b);
  if ((pa !== undefined || a === undefined) && (pb !== undefined || b === undefined)) {
    diffValues(pa, pb, path, { hidden: ctx.hidden }, out);
    return out;
  }
  if (leafHidden(ctx.hidden, a, b)) out.push({ path, hidden: true });
  else out.push({ path, old: a, new: b });
  return out;
}

type Identify = (item: unknown) => string | undefined;

function identify(key: ListKey): Identify {
  return (item) => {
    if (!isRecord(item)) return undefined;
    const parts: string[] = [];
    for (const f of key.fields) {
      const v = item[f] ?? key.defaults[f];
      if (v === undefined || v === null || typeof v === 'object') return undefined;
      parts.push(`${f}=${scalarText(v)}`);
    }
    return parts.join(',');
  };
}

/** Whether every item of both lists has an id, unique within its list. */
function identifies(id: Identify, la: readonly unknown[], lb: readonly unknown[]): boolean {
  for (const list of [la, lb]) {
    const seen = new Set<string>();
    for (const item of list) {
      const v = id(item);
      if (v === undefined || seen.has(v)) return false;
      seen.add(v);
    }
  }
  return true;
}

/** The list's identity: its schema key when it has one that fits, else the first name-like key that does. */
function listIdentity(la: readonly unknown[], lb: readonly unknown[], schema: SchemaCursor | undefined): Identify | undefined {
  if (la.length + lb.length === 0 || ![...la, ...lb].every(isRecord)) return undefined;
  const typed = schemaListKey(schema);
  for (const key of typed ? [typed, ...UNTYPED_KEYS.map((fields) => ({ fields, defaults: {} }))] : UNTYPED_KEYS.map((fields) => ({ fields, defaults: {} }))) {
    const id = identify(key);
    if (identifies(id, la, lb)) return id;
  }
  return undefined;
}

/** Longest common subsequence of equal items (index pairs), for lists without identity. */
function anchors(la: readonly unknown[], lb: readonly unknown[]): [number, number][] {
  const ta = la.map((x) => JSON.stringify(x));
  const tb = lb.map((x) => JSON.stringify(x));
  if (ta.length * tb.length > 250_000) return [];
  const n = ta.length;
  const m = tb.length;
  const dp: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) dp[i]![j] = ta[i] === tb[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const out: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m;) {
    if (ta[i] === tb[j]) {
      out.push([i, j]);
      i++;
      j++;
    } else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) i++;
    else j++;
  }
  return out;
}

function diffList(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined, path: string, ctx: FieldContext, out: FieldChange[]): void {
  const la = a ?? [];
  const lb = b ?? [];
  const items: FieldContext = { hidden: ctx.hidden, schema: itemsCursor(ctx.schema) };
  const id = listIdentity(la, lb, ctx.schema);
  if (id) {
    const before = new Map(la.map((x) => [id(x)!, x]));
    const after = new Map(lb.map((x) => [id(x)!, x]));
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const x = before.get(key);
      const y = after.get(key);
      if (x !== undefined && y !== undefined) diffValues(x, y, `${path}[${key}]`, items, out);
      else whole(`${path}[${key}]`, x, y, items, out);
    }
    return;
  }
  if (la.every(isScalar) && lb.every(isScalar)) {
    // A long list of distinct scalars (sourceRepos, namespaces) reads as the items removed and added (`path[]`);
    // a short one, or one that only changed order, is shown whole.
    const ta = la.map((x) => JSON.stringify(x));
    const tb = lb.map((x) => JSON.stringify(x));
    const distinct = new Set(ta).size === ta.length && new Set(tb).size === tb.length;
    const gone = ta.filter((x) => !tb.includes(x));
    const come = tb.filter((x) => !ta.includes(x));
    if (distinct && gone.length + come.length > 0 && JSON.stringify(a ?? []).length + JSON.stringify(b ?? []).length > 120) {
      for (const x of gone) whole(`${path}[]`, JSON.parse(x), undefined, ctx, out);
      for (const x of come) whole(`${path}[]`, undefined, JSON.parse(x), ctx, out);
    } else whole(path, a, b, ctx, out);
    return;
  }
  // No identity: equal items anchor; between anchors, items compare in place and the extra ones are whole removals/additions.
  let i = 0;
  let j = 0;
  for (const [ai, bj] of [...anchors(la, lb), [la.length, lb.length] as [number, number]]) {
    while (i < ai && j < bj) diffValues(la[i++], lb[j], `${path}[${j++}]`, items, out);
    while (i < ai) whole(`${path}[${i}]`, la[i++], undefined, items, out);
    while (j < bj) whole(`${path}[${j}]`, undefined, lb[j++], items, out);
    i = ai + 1;
    j = bj + 1;
  }
}
