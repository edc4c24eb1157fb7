import { existsSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { join, relative, sep } from 'node:path';
import type { z } from 'zod';
import { ConfigError, EnvironmentError, type Problem } from '../errors';
import { factsFromLookups, readLookups } from '../lookups/file';
import { amiProblems } from '../lookups/amis';
import { nodeImageInputs } from './node-images';
import { allowedKeysAt, closest, formatPath, valueAt } from './paths';
import { clusterSchema, DNS_LABEL, type ClusterConfigInput } from './schema';
import { normalize } from './normalize';
import { runRules } from './rules';
import type { ClusterConfig, ClusterFacts } from './types';

/** One cluster file as the registry hands it over. */
export interface ClusterSource {
  /** Registry key = file name without `.ts` = expected cluster name. */
  readonly name: string;
  /** Path relative to the repo root, for messages. */
  readonly file: string;
  /** What the file exports (not trusted: checked here). */
  readonly input: unknown;
  /** Parsed lookups document; when absent it is read from clusters/<name>.lookups.json under cwd. */
  readonly lookups?: unknown;
}

/**
 * Checks of what the charts render from a config (every notebook profile and smoke pod fits a NodePool):
 * they need charts/, which stands on lib/, so the layer above hands them in (CHART_CHECKS in
 * charts/checks.ts, whose loadCluster / loadClusters / checkClusterInput every command uses). lib's own
 * callers that only read lookups (lib/config/lookup-target.ts) pass NO_CHART_CHECKS.
 */
export interface ChartChecks {
  /** Beside the rules, on every input whose shape parsed, normalised without facts (pools and profiles do not read them). */
  readonly draft: (cluster: ClusterConfig) => readonly Problem[];
  /** On the loaded config, once every other check passed. */
  readonly loaded: (cluster: ClusterConfig) => { readonly errors: readonly Problem[]; readonly warnings: readonly Problem[] };
}

export const NO_CHART_CHECKS: ChartChecks = { draft: () => [], loaded: () => ({ errors: [], warnings: [] }) };

/** Facts are not read before the lookups step; a draft config for the chart checks has none. */
const NO_FACTS: ClusterFacts = { endpoint: '', endpointHost: '', nodeRoleName: '', interruptionQueueName: '', vpcId: '', parameters: {} };

export type LoadResult =
  { readonly config: ClusterConfig; readonly warnings: readonly Problem[] } | { readonly errors: readonly Problem[]; readonly warnings: readonly Problem[] };

function fixFor(issue: z.core.$ZodIssue, input: unknown): string | undefined {
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(clusterSchema, issue.path);
    const guesses = issue.keys.map((k) => closest(k, allowed)).filter((g): g is string => g !== undefined);
    if (guesses.length > 0) return `did you mean ${guesses.map((g) => `'${g}'`).join(', ')}?`;
    return allowed.length > 0 ? `remove it; allowed keys here: ${allowed.join(', ')}` : 'remove it';
  }
  if (issue.code === 'invalid_value') return undefined;
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) return 'add it';
  if (issue.code === 'too_small' || issue.code === 'too_big') return 'change the value to fit the bound';
  return undefined;
}

/** zod issues → problems with file, readable path, value and fix. */
function shapeProblems(file: string, input: unknown, error: z.ZodError): Problem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      const base = formatPath(input, issue.path);
      return {
        file,
        path: keys.length === 1 ? (base ? `${base}.${keys[0]}` : keys[0]!) : base,
        message: keys.length === 1 ? 'is not a known key' : `has unknown keys ${keys.map((k) => `'${k}'`).join(', ')}`,
        fix: fixFor(issue, input),
      };
    }
    const value = valueAt(input, issue.path);
    if (issue.path.length === 0)
      return {
        file,
        path: '',
        message: `must export an object, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
        fix: 'export default defineCluster({ ... })',
      };
    const message =
      issue.code === 'invalid_type' && value === undefined
        ? 'is required'
        : issue.code === 'invalid_value'
          ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
          : issue.message.replace(/^Invalid input: /, '').replace(/^./, (c) => c.toLowerCase());
    const p: Problem = { file, path: formatPath(input, issue.path), message, fix: fixFor(issue, input) };
    return value === undefined ? p : { ...p, value };
  });
}

/** Longest string a config value may be (labels, URLs and names are far shorter; this bounds memory and output). */
export const MAX_CONFIG_STRING = 64 * 1024;
const MAX_DEPTH = 32;
/** Keys that are never config keys and that alter objects' prototypes or constructors when copied. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const KIND_OF = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'object'
        ? ((Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object')
        : typeof v;

/**
 * A JSON-plain copy of what a cluster file exports, and a problem (path, value, fix) for every value a
 * config cannot hold: NaN/±Infinity, BigInt, functions, symbols, class instances, circular references,
 * huge strings, prototype keys, unreadable getters. The offending values are left out of the copy, so the
 * shape check and the rules run on the rest and every problem of the run is reported at once.
 */
export function plainData(input: unknown, file: string): { value: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  const add = (path: string, message: string, fix: string, value?: unknown) =>
    problems.push(value === undefined ? { file, path, message, fix } : { file, path, message, value, fix });
  const walk = (node: unknown, path: string, ancestors: readonly { node: object; path: string }[]): unknown => {
    switch (typeof node) {
      case 'string':
        if (node.length > MAX_CONFIG_STRING)
          return void add(path, `is too long (${node.length} characters, at most ${MAX_CONFIG_STRING})`, 'shorten it', `${node.slice(0, 40)}…`);
        return node;
      case 'number':
        if (!Number.isFinite(node)) return void add(path, `is ${String(node)}, not a finite number`, 'use a finite number');
        return node;
      case 'bigint':
        return void add(path, `is a BigInt (${node > 10n ** 20n ? 'huge' : String(node)}n)`, 'use a plain number');
      case 'boolean':
      case 'undefined':
        return node;
      case 'function':
      case 'symbol':
        return void add(path, `is a ${typeof node}: a config holds only strings, numbers, booleans, arrays and objects`, 'replace it with plain data');
    }
    if (node === null) return null;
    const obj = node as object;
    const loop = ancestors.find((a) => a.node === obj);
    if (loop) return void add(path, `is a circular reference to ${loop.path || 'the whole config'}`, 'use plain data without cycles');
    if (ancestors.length >= MAX_DEPTH) return void add(path, `is nested deeper than ${MAX_DEPTH} levels`, 'use plain data as the schema describes');
    const inner = [...ancestors, { node: obj, path }];
    const read = (key: string | number, at: string): unknown => {
      try {
        return (obj as Record<string | number, unknown>)[key];
      } catch (err) {
        add(at, `cannot be read: ${(err as Error).message}`, 'use plain data, not getters');
        return undefined;
      }
    };
    if (Array.isArray(obj)) {
      return obj.map((_, i) => {
        const item = read(i, `${path}[${i}]`);
        const name = item && typeof item === 'object' && !Array.isArray(item) ? (item as { name?: unknown }).name : undefined;
        return walk(item, `${path}[${typeof name === 'string' && name !== '' && name.length < 100 ? name : i}]`, inner);
      });
    }
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) return void add(path, `is a ${KIND_OF(obj)}, not a plain object`, 'use a plain object, string or number');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) {
        add(at, 'is a reserved key, not a config key', `remove it (${[...FORBIDDEN_KEYS].join(', ')} are never config keys)`);
        continue;
      }
      const v = walk(read(key, at), at, inner);
      if (v !== undefined) out[key] = v;
    }
    return out;
  };
  const value = walk(input, '', []);
  return { value, problems };
}

const DROPPED = Symbol('dropped');

/** Removes the value at a path: an object key is deleted, a list item marked for pruneDropped (indices stay valid meanwhile). */
function dropAt(root: unknown, path: readonly PropertyKey[]): void {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === 'number') parent[key] = DROPPED;
  else if (parent && typeof parent === 'object') delete (parent as Record<PropertyKey, unknown>)[key];
}

function pruneDropped(node: unknown): void {
  if (Array.isArray(node)) {
    for (let i = node.length - 1; i >= 0; i--) if (node[i] === DROPPED) node.splice(i, 1);
    node.forEach(pruneDropped);
  } else if (node && typeof node === 'object') Object.values(node).forEach(pruneDropped);
}

/**
 * The shape check, then a repair: unknown keys and values of the wrong type are left out and the rest
 * is checked again, so the rules can still run on the parts that parsed. `repaired` lists the paths left
 * out (rules' problems there would only repeat the shape error). No `parsed` when a required value is broken.
 */
function parseShape(file: string, value: unknown): { parsed?: ClusterConfigInput; problems: Problem[]; repaired: string[] } {
  const first = clusterSchema.safeParse(value);
  if (first.success) return { parsed: first.data, problems: [], repaired: [] };
  const problems = shapeProblems(file, value, first.error);
  if (value === null || typeof value !== 'object') return { problems, repaired: [] };
  const copy = structuredClone(value);
  const repaired: string[] = [];
  let issues = first.error.issues;
  for (let round = 0; round < 3; round++) {
    for (const issue of issues) {
      const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (let p of paths) {
        // First the value itself; when that leaves a required key missing, the list item holding it (a pool, a team).
        if (round > 0) {
          const item = p.findLastIndex((k) => typeof k === 'number');
          if (item >= 0) p = p.slice(0, item + 1);
        }
        if (p.length === 0) continue;
        repaired.push(formatPath(value, p));
        dropAt(copy, p);
      }
    }
    pruneDropped(copy);
    const again = clusterSchema.safeParse(copy);
    if (again.success) return { parsed: again.data, problems, repaired };
    issues = again.error.issues;
  }
  return { problems, repaired };
}

const under = (path: string, roots: readonly string[]) => roots.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`));

/**
 * Every check of a cluster file that needs no lookups: representable values, shape, then the rules and the
 * draft chart checks on what parsed. What new-cluster runs on its flags before writing, and the first half of loadClusterWith.
 */
export function checkClusterInputWith(
  checks: ChartChecks,
  input: unknown,
  file: string,
  expectedName?: string,
): { parsed?: ClusterConfigInput; errors: Problem[]; warnings: Problem[] } {
  const plain = plainData(input, file);
  const shape = parseShape(file, plain.value);
  const errors: Problem[] = [...plain.problems, ...shape.problems];
  const warnings: Problem[] = [];
  if (shape.parsed) {
    const ruleErrors: Problem[] = [];
    runRules({ input: shape.parsed, file, expectedName, errors: ruleErrors, warnings });
    ruleErrors.push(...checks.draft(normalize(shape.parsed, file, NO_FACTS)));
    const skip = [...shape.repaired, ...plain.problems.map((p) => p.path)];
    errors.push(...ruleErrors.filter((p) => !under(p.path, skip)));
  }
  return { parsed: shape.parsed, errors, warnings };
}

const fileBase = (file: string) => file.replace(/^.*\//, '').replace(/\.[cm]?[jt]s$/, '');

/** Read → parse → rules → lookups → normalise → chart checks for one cluster; never throws for bad input. Reports every problem of the run. */
export function loadClusterWith(checks: ChartChecks, source: ClusterSource, cwd: string): LoadResult {
  if (source.input === undefined) {
    return { errors: [{ file: source.file, path: '', message: 'has no default export', fix: 'export default defineCluster({ ... })' }], warnings: [] };
  }
  const errors: Problem[] = [];
  const base = fileBase(source.file);
  if (base !== source.name) {
    errors.push({
      file: 'clusters/index.ts',
      path: `clusters.${source.name}`,
      message: `is imported from ${source.file}: the registry key must be the file name`,
      fix: `use the key '${base}', or rename ${source.file} to clusters/${source.name}.ts`,
    });
  }
  const checked = checkClusterInputWith(checks, source.input, source.file, base);
  errors.push(...checked.errors);
  const warnings = [...checked.warnings];
  const raw = (source.input !== null && typeof source.input === 'object' ? source.input : {}) as {
    name?: unknown;
    region?: unknown;
    storage?: { efs?: unknown };
  };
  // The file name is the cluster name (a different `name:` is reported above): its lookups file is clusters/<file name>.lookups.json.
  const name = DNS_LABEL.test(base) ? base : source.name;
  // Lookups are checked even when the file has problems, so one run lists everything to fix.
  const doc = source.lookups ?? readLookups(cwd, name, errors);
  // A region that is not a string is a shape error already; then the lookups file is not compared with it.
  const region = typeof raw.region === 'string' ? raw.region : ((doc as { region?: unknown } | undefined)?.region as string);
  const facts = doc === undefined ? undefined : factsFromLookups(name, region, doc, errors);
  // Every pinned AMI alias must be verified by `eksai lookup` for this Kubernetes version (issue 14 item 5).
  if (doc !== undefined && checked.parsed) amiProblems(name, source.file, nodeImageInputs(checked.parsed), doc, errors);
  if (facts && raw.storage?.efs === true && !facts.parameters['storage/efs-file-system-id']) {
    errors.push({
      file: `clusters/${name}.lookups.json`,
      path: 'parameters.storage/efs-file-system-id',
      message: `is missing: storage.efs is on in ${source.file} but SSM parameter /eksai/${name}/storage/efs-file-system-id was not found`,
      fix: `create the file system with \`terraform apply -var efs=true\` in terraform/bootstrap (it writes that parameter), then run \`eksai lookup --cluster ${name}\`; or set storage.efs to false`,
    });
  }
  if (errors.length > 0 || facts === undefined || !checked.parsed) return { errors, warnings };
  const config = normalize(checked.parsed, source.file, facts);
  // Checks that need the loaded config: every smoke pod must fit a NodePool.
  const late = checks.loaded(config);
  warnings.push(...late.warnings);
  if (late.errors.length > 0) return { errors: [...late.errors], warnings };
  return { config, warnings };
}

/** Loads every cluster; collects the problems of all of them and throws one ConfigError if any. */
export function loadClustersWith(checks: ChartChecks, sources: readonly ClusterSource[], cwd: string): { configs: ClusterConfig[]; warnings: Problem[] } {
  const configs: ClusterConfig[] = [];
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  for (const source of sources) {
    const result = loadClusterWith(checks, source, cwd);
    warnings.push(...result.warnings);
    if ('config' in result) configs.push(result.config);
    else errors.push(...result.errors);
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return { configs, warnings };
}

/** `file:line:column` of the first stack frame in one of the user's cluster files, mapped to the TypeScript source. */
function userFrame(err: unknown, cwd: string): string | undefined {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  const dir = join(cwd, 'clusters') + sep;
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.replace(/^file:\/\//, '');
    if (!file.startsWith(dir) || file.includes(`${sep}node_modules${sep}`)) continue;
    const { line: l, column } = originalPosition(file, Number(m[2]), Number(m[3]));
    return `${relative(cwd, file).split(sep).join('/')}:${l}:${column}`;
  }
  return undefined;
}

/**
 * bin/eksai.js loads .ts files through esbuild without a source map (precompile.js registerTs), so a stack
 * frame points into the transformed code; the same transform with a source map gives the line the user wrote.
 */
function originalPosition(file: string, line: number, column: number): { line: number; column: number } {
  const hook = (Module as unknown as { _extensions: Record<string, { eksai?: boolean } | undefined> })._extensions['.ts'];
  if (!hook?.eksai || !file.endsWith('.ts')) return { line, column };
  try {
    const esbuild = require('esbuild') as typeof import('esbuild');
    const target = `node${process.versions.node.split('.')[0]}`;
    const out = esbuild.transformSync(readFileSync(file, 'utf8'), { loader: 'ts', format: 'cjs', target, sourcefile: file, sourcemap: 'external' });
    const entry = new Module.SourceMap(JSON.parse(out.map) as import('node:module').SourceMapPayload).findEntry(line - 1, column - 1) as {
      originalLine?: number;
      originalColumn?: number;
    };
    return entry.originalLine === undefined ? { line, column } : { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
  } catch {
    return { line, column };
  }
}

/** The file of the module clusters/index.ts imported a cluster's value from (by identity of its default export). */
function sourceFiles(indexFile: string, cwd: string, values: Record<string, unknown>): Map<string, string> {
  const children = (require.cache[indexFile]?.children ?? []).filter((c) => c.filename.startsWith(join(cwd, 'clusters') + sep));
  const rel = (f: string) => relative(cwd, f).split(sep).join('/');
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(values)) {
    const exporting = (c: NodeJS.Module) => {
      const e = c.exports as { default?: unknown } | undefined;
      return value !== undefined && (e === value || (e !== null && typeof e === 'object' && e.default === value));
    };
    const byValue = children.find(exporting);
    // An undefined value: the file of that name, or the one child that exports no default.
    const noDefault = children.filter(
      (c) => !children.some((d) => d !== c && exporting(d)) && (c.exports as { default?: unknown } | undefined)?.default === undefined,
    );
    const child =
      byValue ??
      (value === undefined ? (noDefault.find((c) => fileBase(c.filename) === key) ?? (noDefault.length === 1 ? noDefault[0] : undefined)) : undefined);
    if (child) out.set(key, rel(child.filename));
  }
  return out;
}

/**
 * The cluster registry of a repo: `clusters/index.ts` exports `clusters`, a record from cluster
 * name to its config. Loaded with require (bin/eksai.js and ts-node register TypeScript).
 */
export function readRegistry(cwd: string): ClusterSource[] {
  const file = join(cwd, 'clusters', 'index.ts');
  if (!existsSync(file)) {
    throw new EnvironmentError(`no cluster registry at ${file}: run eksai from the repository root (or pass --cwd), or create one with \`eksai new-cluster\``);
  }
  let mod: { clusters?: Record<string, unknown> };
  try {
    mod = require(file) as typeof mod;
  } catch (err) {
    const first = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message.split('\n')[0]}` : String(err);
    const at = userFrame(err, cwd);
    if (at)
      throw new ConfigError([
        { file: at, path: '', message: `threw while loading: ${first}`, fix: 'fix the code at that line (a cluster file exports plain data)' },
      ]);
    throw new ConfigError([
      { file: 'clusters/index.ts', path: '', message: `cannot be loaded: ${first}`, fix: 'fix the TypeScript error (npm run typecheck shows all of them)' },
    ]);
  }
  if (!mod.clusters || typeof mod.clusters !== 'object') {
    throw new ConfigError([
      {
        file: 'clusters/index.ts',
        path: 'clusters',
        message: 'must be exported as a record of cluster name to config',
        fix: 'export const clusters = { dev, prod };',
      },
    ]);
  }
  const files = sourceFiles(file, cwd, mod.clusters);
  return Object.keys(mod.clusters)
    .sort()
    .map((name) => ({ name, file: files.get(name) ?? `clusters/${name}.ts`, input: mod.clusters![name] }));
}
