import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { EnvironmentError, UsageError } from '../../lib/errors';
import { parseYamlDocuments, readTextFile } from '../../lib/yaml/safe';
import type { SchemaSourceOptions } from '../../lib/schemas/resolve';
import { CelValidator } from '../check/cel';
import { SchemaSet } from '../check/schemas';
import { helmValuesProblems } from './helm';
import { applySeverities, policyProblems, type PolicySeverity } from './policy';
import { crossProblems } from './cross';
import { ajvProblems, join2 } from './ajv';
import type { CrossDoc, ResultStatus, ValidationProblem, ValidationReport, ValidationResult } from './types';

export type { ResultStatus, ValidationProblem, ValidationReport, ValidationResult } from './types';
export { ajvProblems, dottedPath } from './ajv';
import { listTypeFindings } from './lists';
import { decodeBuiltinNulls, pruneCustomResourceNulls } from './nulls';
import { renderReleases, type RenderedRelease, type RenderOptions } from '../render';
import { distClusters, renderedDocs } from './rendered';
import { kindScopes } from './scopes';
import { pinProblems } from './crds';

export interface ValidateOptions {
  /** Files or directories (recursively, *.yaml / *.yml). @default ['dist'] */
  readonly paths?: readonly string[];
  /** @default process.cwd() */
  readonly cwd?: string;
  /** Run the platform policy checks (pipeline/validate/policy.ts). @default true */
  readonly policies?: boolean;
  /** Severity per policy id (`error`, `warning`, `off`); ids not listed are errors. @default {} */
  readonly policySeverities?: Readonly<Record<string, PolicySeverity>>;
  /** Where schemas come from (mirror / cache); relative mirror paths resolve against cwd. */
  readonly schemas?: SchemaSourceOptions;
  /**
   * Render the Helm releases of the dist clusters among the validated files (pipeline/render, each twice for the
   * determinism check) and validate what they render together with dist. @default false (the CLI turns it on)
   */
  readonly render?: boolean;
  /** Already rendered releases to validate with dist (instead of rendering). */
  readonly releases?: readonly RenderedRelease[];
  /** Progress lines (render per cluster, schema compiling): the CLI prints them on stderr. */
  readonly log?: (line: string) => void;
  /** Options passed to renderReleases (chart mirror, cache, helm). */
  readonly renderOptions?: Omit<RenderOptions, 'cwd' | 'clusters' | 'determinism'>;
}

interface Doc {
  readonly file: string;
  readonly line: number;
  readonly value?: Record<string, unknown>;
  readonly yamlErrors?: readonly ValidationProblem[];
  /** Where the object sits in its document when it is an item of a `kind: List` (`items[2]`); problem paths are prefixed with it. */
  readonly at?: string;
  /** Rendered objects: dist cluster folder and Application (rendered.ts). */
  readonly cluster?: string;
  readonly application?: string;
  readonly renderIndex?: number;
}

/**
 * `kind: List` and typed lists (`SecretList`, `ConfigMapList`…) → their items, each validated as the object it
 * is: kubectl and Argo CD apply the items, never the list (Argo CD flattens lists when it reads manifests).
 * An item of a typed list that omits apiVersion/kind takes them from the list (`v1 SecretList` → `v1 Secret`).
 */
export function flattenLists(doc: Doc): Doc[] {
  const v = doc.value;
  if (!v || typeof v.kind !== 'string' || !v.kind.endsWith('List') || !Array.isArray(v.items)) return [doc];
  const itemKind = v.kind === 'List' ? undefined : v.kind.slice(0, -'List'.length);
  return v.items.flatMap((item, i) => {
    const at = `${doc.at ?? ''}items[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return [
        {
          file: doc.file,
          line: doc.line,
          at,
          yamlErrors: [{ path: at, message: 'list item is not a mapping (a Kubernetes object needs apiVersion and kind)' }],
        },
      ];
    }
    const o = item as Record<string, unknown>;
    const typed = itemKind !== undefined && o.kind === undefined ? { apiVersion: o.apiVersion ?? v.apiVersion, kind: itemKind, ...o } : o;
    return flattenLists({ file: doc.file, line: doc.line, at, value: typed });
  });
}

/**
 * Every YAML file under the given paths, sorted, relative to cwd. Symbolic links are followed into
 * directories once (a link back to an ancestor is not walked again); a link that cannot be resolved (loop,
 * dangling) is listed as a file, and reading it reports why (readTextFile).
 */
export function listFiles(paths: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  const walked = new Set<string>();
  const visit = (dir: string): void => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (walked.has(real)) return;
    walked.add(real);
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      // A killed synth's staging and backup folders (pipeline/synth/owned.ts) are not part of dist.
      if (entry.name.startsWith('.eksai-')) continue;
      const abs = join(dir, entry.name);
      const target = entry.isSymbolicLink() ? statOrError(abs) : undefined;
      const isDir = entry.isDirectory() || (typeof target === 'object' && target.isDirectory());
      if (isDir) visit(abs);
      else if (/\.ya?ml$/.test(entry.name)) out.push(abs);
    }
  };
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const st = statOrError(abs);
    if (st === 'ENOENT' && lstatSync(abs, { throwIfNoEntry: false }) === undefined) {
      throw new UsageError(`${p}: no such file or directory (paths are files or directories of YAML manifests)`);
    }
    if (typeof st !== 'string' && st.isDirectory()) visit(abs);
    else out.push(abs);
  }
  return [...new Set(out)].map((f) => relative(cwd, f) || f);
}

/** stat, or the errno code (ELOOP for a symlink loop, ENOENT for a dangling link). */
function statOrError(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'EIO';
  }
}

/** The documents of one file, read and parsed with the bounds of lib/yaml/safe.ts (a file that cannot be read is one error). */
function readDocs(file: string, cwd: string): Doc[] {
  const read = readTextFile(resolve(cwd, file));
  if (!read.ok) return [{ file, line: 1, yamlErrors: [{ path: '', message: `file ${read.message}` }] }];
  return parseYamlDocuments(read.text).map((d) =>
    d.error !== undefined ? { file, line: d.line, yamlErrors: [{ path: '', message: d.error }] } : docOf(file, d.line, d.value),
  );
}

function docOf(file: string, line: number, value: unknown): Doc {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { file, line, yamlErrors: [{ path: '', message: 'document is not a mapping (a Kubernetes object needs apiVersion and kind)' }] };
  }
  return { file, line, value: value as Record<string, unknown> };
}

const hasStatus = (obj: Record<string, unknown>): boolean => obj.status !== undefined && obj.status !== null;

/**
 * The object as the API server decodes it (nulls.ts): CRs by their structural schema, built-in kinds as Go
 * does. `memo` (one per run) maps an object to its decoded form, so an object several documents share (the
 * renders' interned objects) is decoded once and stays one object.
 */
function decodeNulls(doc: Doc, schemas: SchemaSet, memo: Map<object, Record<string, unknown>>): Doc {
  const v = doc.value;
  if (!v || typeof v.apiVersion !== 'string' || typeof v.kind !== 'string') return doc;
  let value = memo.get(v);
  if (!value) {
    const schema = schemas.get(v.apiVersion, v.kind, hasStatus(v));
    if (!schema) return doc;
    value = schema.structural ? pruneCustomResourceNulls(v, schema.structural) : decodeBuiltinNulls(v);
    memo.set(v, value);
  }
  return value === v ? doc : { ...doc, value };
}

/** Problems of a list item, their paths prefixed with the item's place in the list (`items[2].data`). */
function within(doc: Doc, problems: readonly ValidationProblem[]): readonly ValidationProblem[] {
  if (!doc.at) return problems;
  return problems.map((p) => ({ ...p, path: p.path ? join2(doc.at!, p.path) : doc.at! }));
}

function statusOf(problems: readonly ValidationProblem[]): ResultStatus {
  if (problems.some((p) => p.severity === undefined || p.severity === 'error')) return 'invalid';
  return problems.some((p) => p.severity === 'unevaluated') ? 'error' : 'valid';
}

/**
 * Validates every document of the given YAML files against the pinned Kubernetes / CRD schemas, the CRDs'
 * CEL rules and (for Argo CD Applications of charts that ship one) the Helm values schema. Returns one
 * result per non-empty document; never throws for findings. Throws EnvironmentError when schemas are unavailable.
 */
export async function validate(options: ValidateOptions = {}): Promise<ValidationReport> {
  const start = performance.now();
  const cwd = options.cwd ?? process.cwd();
  const files = listFiles(options.paths && options.paths.length > 0 ? options.paths : ['dist'], cwd);
  const fromFiles = files.flatMap((f) => readDocs(f, cwd)).flatMap(flattenLists);
  const parsed = performance.now();
  const render = await renderedInput(options, files, cwd);
  const rendered = performance.now();
  const scopes = await kindScopes(cwd, [...fromFiles, ...(render?.releases ?? []).flatMap((r) => r.objects.map((value) => ({ value })))]);
  const read: Doc[] = [
    ...fromFiles,
    ...(render ? renderedDocs(render.releases, scopes.clusterScoped).map(({ index, ...d }) => ({ ...d, renderIndex: index })) : []),
  ];
  const schemas = new SchemaSet({ cwd, ...options.schemas });
  schemas.onFirstCompile =
    options.log && (() => options.log!('compiling schema validators not in the cache yet (a first run, or new schemas; later runs load them)'));
  await schemas.load(
    read.flatMap((d) =>
      typeof d.value?.apiVersion === 'string' && typeof d.value.kind === 'string' ? [{ apiVersion: d.value.apiVersion, kind: d.value.kind }] : [],
    ),
  );
  // CRDs the charts ship are what the cluster serves: their schemas replace the pins (crds.ts reports pins that differ).
  for (const r of render?.releases ?? [])
    for (const o of r.objects) if (o.kind === 'CustomResourceDefinition') schemas.addCrd(o, `chart ${r.chart} ${r.version}`);
  const loaded = performance.now();
  const decodedMemo = new Map<object, Record<string, unknown>>();
  const docs = read.map((d) => decodeNulls(d, schemas, decodedMemo));
  const cel = new CelValidator();
  const crossDocs: CrossDoc[] = [];
  const crossIndex = new Map<Doc, number>();
  for (const d of docs) {
    if (typeof d.value?.apiVersion !== 'string' || typeof d.value.kind !== 'string') continue;
    crossIndex.set(d, crossDocs.length);
    crossDocs.push({
      file: d.file,
      apiVersion: d.value.apiVersion,
      kind: d.value.kind,
      obj: d.value,
      cluster: d.cluster,
      application: d.application,
      renderIndex: d.renderIndex,
    });
  }
  const decoded = performance.now();
  const cross = crossProblems(crossDocs, cwd, { scopeOf: scopes.scopeOf, isBuiltin: scopes.isBuiltin, releases: render?.releases ?? [] });
  for (const f of await pinProblems(render?.releases ?? [], schemas)) {
    const i = crossDocs.findIndex((d) =>
      f.index === undefined
        ? d.application === undefined &&
          d.kind === 'Application' &&
          d.file === f.release.file &&
          (d.obj.metadata as { name?: unknown } | undefined)?.name === f.release.application
        : d.application === f.release.application && d.renderIndex === f.index && d.cluster === join('dist', f.release.cluster),
    );
    if (i >= 0) cross.set(i, [...(cross.get(i) ?? []), f.problem]);
  }
  const crossed = performance.now();
  const results: ValidationResult[] = [];
  const schemaFindings = new Map<object, ValidationProblem[]>();
  for (const doc of docs) {
    if (!doc.value) {
      results.push({ file: doc.file, line: doc.line, status: 'error', problems: doc.yamlErrors ?? [] }); // paths already name the item
      continue;
    }
    const obj = doc.value;
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : undefined;
    const kind = typeof obj.kind === 'string' ? obj.kind : undefined;
    const meta = obj.metadata as { name?: unknown } | undefined;
    const name = typeof meta?.name === 'string' ? meta.name : undefined;
    const base = { file: doc.file, line: doc.line, apiVersion, kind, name, ...(doc.application ? { application: doc.application } : {}) };
    if (!apiVersion || !kind) {
      results.push({ ...base, status: 'invalid', problems: within(doc, [{ path: apiVersion ? 'kind' : 'apiVersion', message: 'required field is missing' }]) });
      continue;
    }
    const schema = schemas.get(apiVersion, kind, hasStatus(obj));
    if (!schema) {
      // Cross-resource findings (a missing CRD, AppProject admission) still count for a kind without a schema.
      const crossFound = cross.get(crossIndex.get(doc) ?? -1) ?? [];
      const problems = [{ path: '', message: `no pinned schema for ${apiVersion} ${kind}` }, ...crossFound];
      results.push({ ...base, status: crossFound.length > 0 ? 'invalid' : 'skipped', problems: within(doc, problems) });
      continue;
    }
    // Schema, list types and CEL depend on the object alone (its kind picks the schema): an object several
    // documents share, like a CRD every cluster's release renders, is checked once.
    let own = schemaFindings.get(obj);
    if (!own) {
      own = [];
      if (!schema.validate(obj)) own.push(...ajvProblems(schema.validate.errors));
      if (schema.structural) {
        own.push(...listTypeFindings(schema.structural, obj));
        for (const f of cel.validate(schema.structural, obj)) {
          own.push({ path: f.path, message: f.message, rule: f.rule, ...(f.outcome === 'unevaluated' ? { severity: 'unevaluated' as const } : {}) });
        }
      }
      schemaFindings.set(obj, own);
    }
    const problems: ValidationProblem[] = [...own];
    if (apiVersion === 'argoproj.io/v1alpha1' && kind === 'Application') problems.push(...(await helmValuesProblems(obj, schemas)));
    // Platform policies judge what eksai commits; a chart's rendered objects are not in git (their checks are the cross ones).
    if (options.policies !== false && !doc.application) problems.push(...policyProblems(apiVersion, kind, obj));
    problems.push(...(cross.get(crossIndex.get(doc) ?? -1) ?? []));
    const kept =
      options.policies === false ? problems.filter((p) => !p.rule?.startsWith('policy/')) : applySeverities(problems, options.policySeverities ?? {});
    results.push({ ...base, status: statusOf(kept), problems: within(doc, kept) });
  }
  schemas.saveCodeCache();
  return {
    results,
    files: files.length,
    timingsMs: {
      parse: Math.round(parsed - start),
      render: Math.round(rendered - parsed),
      schemas: Math.round(schemas.loadMs),
      load: Math.round(loaded - rendered),
      decode: Math.round(decoded - loaded),
      cross: Math.round(crossed - decoded),
      check: Math.round(performance.now() - crossed),
      total: Math.round(performance.now() - start),
    },
    validators: schemas.compiledStats,
    ...(render
      ? {
          rendered: {
            releases: render.releases.length,
            objects: render.releases.reduce((n, r) => n + r.objects.length, 0),
            renderedTwice: render.releases.filter((r) => r.varying !== undefined).length,
            ...(render.helm ? { helm: render.helm } : {}),
            ms: render.ms,
          },
        }
      : {}),
  };
}

/** The releases to validate with dist: given, rendered for the dist clusters among the files, or none. */
async function renderedInput(
  options: ValidateOptions,
  files: readonly string[],
  cwd: string,
): Promise<{ releases: readonly RenderedRelease[]; helm?: string; ms: number } | undefined> {
  if (options.releases) return { releases: options.releases, ms: 0 };
  if (!options.render) return undefined;
  const clusters = distClusters(files);
  if (clusters.length === 0) return undefined;
  const start = performance.now();
  let result: Awaited<ReturnType<typeof renderReleases>>;
  try {
    result = await renderReleases({ ...(options.log ? { log: options.log } : {}), ...options.renderOptions, cwd, clusters, determinism: true });
  } catch (err) {
    if (err instanceof EnvironmentError)
      throw new EnvironmentError(`${err.message} (to validate without rendering the Helm releases: eksai validate --no-render)`);
    throw err;
  }
  return { releases: result.releases, helm: `${result.helm.version} (${result.helm.source}: ${result.helm.path})`, ms: Math.round(performance.now() - start) };
}
