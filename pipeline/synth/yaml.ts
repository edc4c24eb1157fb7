import { dump } from 'js-yaml';

/**
 * The YAML of one manifest, byte for byte what js-yaml's `dump(obj, DUMP_OPTIONS)` writes, about 5×
 * faster on manifests. js-yaml 5 first builds an AST, then tests every scalar against its resolver
 * regexps (~55% of a 2,000-object synth); here the block layout of its presenter
 * (node_modules/js-yaml/dist/js-yaml.cjs.js: writeBlockMapping, writeBlockSequence, writeNode with
 * indent 2, seqInlineFirst) is written directly, and every distinct scalar and key is rendered once
 * by js-yaml itself and remembered. That is exact because with `lineWidth: -1` a single-line scalar
 * renders the same at every nesting level >= 1 (the only level-dependent rules concern line breaks,
 * block scalars and `---`/`...` at column 0).
 *
 * Strings with line breaks (block scalars) are rendered by js-yaml once per nesting level. Anything
 * else (-0, undefined, Dates, class instances, keys rendered as `? `, a root that is not a non-empty
 * plain object) sends the whole document to js-yaml, so the output never depends on which path ran. test/pipeline/synth/yaml.test.ts compares both on tricky values and on
 * random documents.
 */
export const DUMP_OPTIONS = { lineWidth: -1, noRefs: true, sortKeys: false } as const;

/** What the fast path throws to give up on a document (two preallocated instances: no stack is captured per throw). */
class FastPathExit extends Error {}
/** Thrown inside the fast path for a value it does not reproduce. */
const UNSUPPORTED = new FastPathExit('unsupported');
/** Thrown when a scalar or key has not been rendered yet (see fill). */
const MISS = new FastPathExit('miss');
/** Memo entry for a scalar or key the fast path must not render. */
const NONE = '';

type Scalar = string | number | boolean | null;
/** Rendered single-line scalars as mapping values / sequence items (the same at every level >= 1). */
const values = new Map<Scalar, string>();
/** Rendered mapping keys. */
const keys = new Map<string, string>();

const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null;

function scalar(v: Scalar, level: number): string {
  if (typeof v === 'string' && v.includes('\n')) return multiline(v, level);
  // -0 shares a Map slot with 0 (SameValueZero) but dumps differently.
  if (Object.is(v, -0)) throw UNSUPPORTED;
  const text = values.get(v);
  if (text === undefined) throw MISS;
  if (text === NONE) throw UNSUPPORTED;
  return text;
}

function key(k: string): string {
  const text = keys.get(k);
  if (text === undefined) throw MISS;
  if (text === NONE) throw UNSUPPORTED;
  return text;
}

/** The single line of `out` without `prefix` and the newline, or NONE. */
const cut = (out: string, prefix: string, suffix = ''): string =>
  out.startsWith(prefix) && out.endsWith(`${suffix}\n`) && out.indexOf('\n') === out.length - 1
    ? out.slice(prefix.length, out.length - suffix.length - 1)
    : NONE;

/**
 * Renders the scalars and keys a document needs and the memo lacks. js-yaml's cost is mostly per
 * call (~0.25 ms), so they go in two batched dumps, a sequence of the values and a sequence of
 * one-key mappings `{key: null}`, one line each; when the line count shows that something spanned
 * lines, each is dumped on its own.
 */
function fill(pendingValues: readonly Scalar[], pendingKeys: readonly string[]): void {
  if (pendingValues.length > 0) {
    const lines = dump(pendingValues, DUMP_OPTIONS).split('\n');
    const batched = lines.length === pendingValues.length + 1 && lines.every((l, i) => (i === pendingValues.length ? l === '' : l.startsWith('- ')));
    pendingValues.forEach((v, i) => values.set(v, batched ? lines[i]!.slice(2) || NONE : cut(dump({ a: v }, DUMP_OPTIONS), 'a: ')));
  }
  if (pendingKeys.length > 0) {
    const lines = dump(
      pendingKeys.map((k) => ({ [k]: null })),
      DUMP_OPTIONS,
    ).split('\n');
    const batched =
      lines.length === pendingKeys.length + 1 && lines.every((l, i) => (i === pendingKeys.length ? l === '' : l.startsWith('- ') && l.endsWith(': null')));
    pendingKeys.forEach((k, i) => keys.set(k, batched ? lines[i]!.slice(2, -': null'.length) || NONE : cut(dump({ [k]: null }, DUMP_OPTIONS), '', ': null')));
  }
}

/** Collects the scalars and keys of `v` that are not rendered yet. */
function collect(v: unknown, pendingValues: Set<Scalar>, pendingKeys: Set<string>): void {
  if (typeof v === 'object' && v !== null) {
    if (Array.isArray(v)) for (const item of v) collect(item, pendingValues, pendingKeys);
    else {
      for (const [k, item] of Object.entries(v)) {
        if (!keys.has(k)) pendingKeys.add(k);
        collect(item, pendingValues, pendingKeys);
      }
    }
  } else if (isScalar(v) && !(typeof v === 'string' && v.includes('\n')) && !Object.is(v, -0) && !values.has(v)) {
    pendingValues.add(v);
  }
}

const multilines = new Map<number, Map<string, string>>();

/**
 * A string with line breaks renders as a block scalar indented for its level: js-yaml renders it
 * once per level inside `level` nested one-key mappings, and the value text is cut out of that.
 * Keep-chomped strings (ending in a blank line) are left to js-yaml: it may end the document with `...`.
 */
function multiline(v: string, level: number): string {
  if (level < 1) throw UNSUPPORTED;
  let memo = multilines.get(level);
  if (!memo) multilines.set(level, (memo = new Map<string, string>()));
  let text = memo.get(v);
  if (text === undefined) {
    let wrapped: unknown = v;
    let prefix = '';
    for (let i = 0; i < level; i++) wrapped = { a: wrapped };
    for (let i = 0; i < level - 1; i++) prefix += `${'  '.repeat(i)}a:\n`;
    prefix += `${'  '.repeat(level - 1)}a:`;
    const out = dump(wrapped, DUMP_OPTIONS);
    if (!out.startsWith(prefix) || out.endsWith('\n...\n')) text = NONE;
    else {
      const rest = out.slice(prefix.length, -1);
      text = rest.startsWith(' ') ? rest.slice(1) : rest;
    }
    memo.set(v, text);
  }
  if (text === NONE) throw UNSUPPORTED;
  return text;
}

const pads: string[] = [];
const newline = (level: number): string => (pads[level] ??= `\n${'  '.repeat(level)}`);

function node(v: unknown, level: number, compact: boolean): string {
  if (typeof v === 'object' && v !== null) {
    if (Array.isArray(v)) return v.length === 0 ? '[]' : sequence(v, level, compact);
    if (Object.getPrototypeOf(v) !== Object.prototype) throw UNSUPPORTED;
    const names = Object.keys(v);
    return names.length === 0 ? '{}' : mapping(v as Record<string, unknown>, names, level, compact);
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return scalar(v, level);
  throw UNSUPPORTED;
}

function mapping(obj: Record<string, unknown>, names: readonly string[], level: number, compact: boolean): string {
  let out = '';
  for (const name of names) {
    if (!compact || out !== '') out += newline(level);
    const value = node(obj[name], level + 1, false);
    out += key(name) + (value === '' || value.charCodeAt(0) === 10 ? ':' : ': ') + value;
  }
  return out;
}

function sequence(items: readonly unknown[], level: number, compact: boolean): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    if (!(i in items)) throw UNSUPPORTED;
    const item = node(items[i], level + 1, true);
    if (!compact || out !== '') out += newline(level);
    out += (item === '' || item.charCodeAt(0) === 10 ? '-' : '- ') + item;
  }
  return out;
}

/** The fast path for one document: its YAML, or MISS / UNSUPPORTED. */
function attempt(obj: unknown): string | FastPathExit {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || Object.getPrototypeOf(obj) !== Object.prototype || Object.keys(obj).length === 0)
    return UNSUPPORTED;
  try {
    return `${node(obj, 0, true)}\n`;
  } catch (err) {
    if (err instanceof FastPathExit) return err; // MISS or UNSUPPORTED
    throw err;
  }
}

/**
 * `docs.map((d) => dump(d, DUMP_OPTIONS))`, faster. Documents with scalars or keys not seen before
 * are rendered again after one batched fill for all of them.
 */
export function toYamlAll(docs: readonly unknown[]): string[] {
  const out: (string | FastPathExit)[] = docs.map(attempt);
  const missed = docs.filter((_, i) => out[i] === MISS);
  if (missed.length > 0) {
    const pendingValues = new Set<Scalar>();
    const pendingKeys = new Set<string>();
    for (const doc of missed) collect(doc, pendingValues, pendingKeys);
    fill([...pendingValues], [...pendingKeys]);
  }
  return out.map((r, i) => {
    const again = r === MISS ? attempt(docs[i]) : r;
    return typeof again === 'string' ? again : dump(docs[i], DUMP_OPTIONS);
  });
}

/** `dump(obj, DUMP_OPTIONS)`, faster. */
export function toYaml(obj: unknown): string {
  return toYamlAll([obj])[0]!;
}
