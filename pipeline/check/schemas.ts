import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { load as loadYaml } from 'js-yaml';
import { CRD_URLS, KUBERNETES_OPENAPI_URLS, VALUES_SCHEMA_URLS } from '../../lib/schemas/pins';
import { statSync, readFileSync } from 'node:fs';
import { compiledCacheDir, schemaPath, type SchemaSourceOptions } from '../../lib/schemas/resolve';
import { CompiledCache, RUNTIME_IDS } from './compiled';
import { CRD_FORMATS, FORMATS } from './formats';

/** The text hash of CRD schemas added from renders, by schema object (never mutated: the renders' objects are shared). */
const CRD_HASHES = new WeakMap<object, string>();

/** An OpenAPI v3 / structural schema node as found in CRDs and the Kubernetes OpenAPI documents. */
export type SchemaNode = Record<string, unknown>;

/** What validates one apiVersion+kind: a compiled JSON Schema and, for CRDs, the raw structural schema (CEL rules live there). */
export interface KindSchema {
  readonly validate: ValidateFunction;
  /** The CRD's openAPIV3Schema for this version (undefined for Kubernetes core kinds). */
  readonly structural?: SchemaNode;
  /** Pinned URL the schema came from. */
  readonly source: string;
}

interface Entry {
  readonly source: string;
  /** Hash of the source file's text (part of the compiled-cache key). */
  readonly textHash: string;
  /** CRD: the openAPIV3Schema of this version. Core kinds have none (their definition is found on a cache miss). */
  readonly crd?: SchemaNode;
  /** Compiled without / with the status subtree (documents in git rarely carry status; it is most of some CRDs). */
  compiled?: KindSchema;
  compiledWithStatus?: KindSchema;
}

const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } };
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** ObjectMeta as the API server checks it for custom resources (names, string-valued labels/annotations, known fields). */
const OBJECT_META = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN },
    generateName: { type: 'string' },
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    labels: STRING_MAP,
    annotations: STRING_MAP,
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: { type: 'array', items: { type: 'object' } },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    creationTimestamp: { type: ['string', 'null'] },
    deletionTimestamp: { type: ['string', 'null'] },
    deletionGracePeriodSeconds: { type: 'integer' },
    managedFields: { type: 'array', items: { type: 'object' } },
    selfLink: { type: 'string' },
  },
  additionalProperties: false,
};

/** Patterns untranslatable from Go RE2 to JS, recorded so a report can say which were not checked. */
export const UNCHECKED_PATTERNS = new Set<string>();

/**
 * CRD patterns are Go RE2. Most are valid JS; `(?i)` / `(?s)` prefixes become flags. A pattern JS cannot
 * compile is recorded in UNCHECKED_PATTERNS and matches everything (never a false "invalid").
 */
function goRegExpEngine(source: string, flags: string): { test: (s: string) => boolean } {
  let src = source;
  let f = flags;
  const inline = /^\(\?([is]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    f += inline[1]!.replace(/[^is]/g, '');
  }
  try {
    return new RegExp(src, f);
  } catch {
    try {
      return new RegExp(src, f.replace('u', ''));
    } catch {
      UNCHECKED_PATTERNS.add(source);
      return { test: () => true };
    }
  }
}

/** `code`: how standalone (cached) validators get the engine back (see compiled.ts). */
const goRegExp = Object.assign(goRegExpEngine, { code: `require(${JSON.stringify(RUNTIME_IDS.regExp)})` });

/** Where a schema comes from: a CRD (apiextensions formats) or a Kubernetes kind (decode-time formats). */
export type Origin = 'crd' | 'core';

const CORE_FORMAT_NAMES: Readonly<Record<string, string>> = { byte: 'k8s-byte', 'date-time': 'k8s-date-time', int32: 'k8s-int32' };

function formatName(format: string, origin: Origin): string | undefined {
  if (origin === 'core') return CORE_FORMAT_NAMES[format];
  return format in CRD_FORMATS ? format : undefined;
}

const key = (apiVersion: string, kind: string): string => `${apiVersion}|${kind}`;

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Converts a Kubernetes structural / OpenAPI v3 schema to JSON Schema for ajv: `#/components/schemas/X`
 * refs, int-or-string, preserve-unknown-fields, embedded resources, nullable; unknown fields are rejected
 * where the schema lists properties and does not preserve unknown fields (what the API server prunes or,
 * with strict field validation, rejects). Descriptions, defaults and x- extensions are dropped; formats are kept
 * only where the API server enforces them (formats.ts).
 */
export function toJsonSchema(node: unknown, inJunctor = false, origin: Origin = 'crd'): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, inJunctor, origin));
  if (node === null || typeof node !== 'object') return node;
  const n = node as SchemaNode;
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(n)) {
    if (k === 'format') {
      const format = typeof v === 'string' ? formatName(v, origin) : undefined;
      if (format) out.format = format;
      continue;
    }
    if (k === 'description' || k === 'default' || k === 'example' || k.startsWith('x-')) continue;
    if (k === 'nullable') continue;
    if (k === '$ref' && typeof v === 'string') {
      out.$ref = v.replace('#/components/schemas/', '#/definitions/');
    } else if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as SchemaNode).map(([p, s]) => [p, toJsonSchema(s, inJunctor, origin)]));
    } else if (k === 'oneOf' || k === 'anyOf' || k === 'allOf' || k === 'not') {
      // Structural schemas: branches of logical junctors only constrain values (required, enum...), they never
      // declare fields, so they must not reject the parent's fields.
      out[k] = toJsonSchema(v, true, origin);
    } else {
      out[k] = toJsonSchema(v, inJunctor, origin);
    }
  }
  if (n['x-kubernetes-int-or-string'] === true || n.format === 'int-or-string') {
    delete out.type;
    if (!out.anyOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  // The API server applies structural defaults before validating: a required field with a default is never missing.
  if (Array.isArray(n.required) && n.properties) {
    const props = n.properties as Record<string, SchemaNode>;
    out.required = (n.required as string[]).filter((r) => props[r]?.default === undefined);
  }
  const preserve = n['x-kubernetes-preserve-unknown-fields'] === true;
  if (n['x-kubernetes-embedded-resource'] === true) {
    // apiVersion/kind/metadata are implied even when not listed.
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(out.properties as SchemaNode | undefined) };
  }
  if (out.properties && !preserve && !inJunctor && out.additionalProperties === undefined) out.additionalProperties = false;
  if (n.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.anyOf || out.allOf || out.$ref) return { anyOf: [{ type: 'null' }, out] };
  }
  return out;
}

/**
 * The schemas of one validation run: reads only the pinned files the kinds present need, indexes CRDs by
 * apiVersion+kind for every served version, and compiles each kind once, on first use — or loads its
 * validator from the compiled cache (compiled.ts), in which case neither ajv nor the schema is touched.
 */
export class SchemaSet {
  private ajvInstance: Ajv | undefined;
  private readonly cache: CompiledCache;
  private readonly entries = new Map<string, Entry>();
  private readonly loadedUrls = new Set<string>();
  private readonly coreDocs = new Map<string, Map<string, string>>();
  private readonly values = new Map<string, ValidateFunction>();
  /** Total ms spent reading, parsing and compiling schemas. */
  loadMs = 0;

  /** Told once, before the first validator of the run is compiled (the slow part of a first run; later runs load them). */
  onFirstCompile: (() => void) | undefined;

  constructor(private readonly source: SchemaSourceOptions = {}) {
    this.cache = new CompiledCache(compiledCacheDir(source), { [RUNTIME_IDS.regExp]: goRegExp, [RUNTIME_IDS.formats]: { FORMATS } });
  }

  /** Writes the V8 code cache of the validators this process loaded without one (after they ran: CompiledCache.saveCodeCache). */
  saveCodeCache(): void {
    CompiledCache.saveCodeCache();
  }

  /** Validators compiled in this run vs read from the compiled cache. */
  get compiledStats(): { readonly compiled: number; readonly cached: number } {
    return { compiled: this.compiledCount, cached: this.cache.hits };
  }

  private compiledCount = 0;

  /** ajv, created on the first cache miss (a fully cached run never loads it). */
  private get ajv(): Ajv {
    if (!this.ajvInstance) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { default: AjvClass, _ } = require('ajv') as typeof import('ajv');
      this.ajvInstance = new AjvClass({
        strict: false,
        allErrors: true,
        validateSchema: false,
        logger: false,
        formats: FORMATS,
        // optimize: false — ajv's code optimiser costs ~4x compile time on CRD-sized schemas and saves little at run time.
        // source: true — keep the code so compiled.ts can cache it as a standalone module.
        code: { regExp: goRegExp, optimize: false, source: true, formats: _`require(${RUNTIME_IDS.formats}).FORMATS` },
      });
    }
    return this.ajvInstance;
  }

  private compile(cacheKey: string, schema: () => object | undefined): ValidateFunction | undefined {
    const cached = this.cache.load(cacheKey);
    if (cached) return cached;
    const s = schema();
    if (!s) return undefined;
    if (this.compiledCount === 0) this.onFirstCompile?.();
    const fn = this.ajv.compile(s);
    this.compiledCount += 1;
    this.cache.store(cacheKey, this.ajv, fn);
    return fn;
  }

  /**
   * Reads the pinned files needed for these objects: the core group-version document, or the CRD files of
   * the group whose kind is present (a CRD file is only parsed when one of its kinds is used).
   */
  async load(objects: Iterable<{ readonly apiVersion: string; readonly kind: string }>): Promise<void> {
    const start = performance.now();
    const seen = new Set<string>();
    for (const { apiVersion, kind } of objects) {
      if (seen.has(key(apiVersion, kind))) continue;
      seen.add(key(apiVersion, kind));
      const core = KUBERNETES_OPENAPI_URLS[apiVersion];
      if (core) {
        // Whether the document defines this kind is only known on a cache miss (get() then drops the entry).
        this.entries.set(key(apiVersion, kind), { source: core, textHash: await this.textHash(core) });
      }
      const crds = (CRD_URLS as Readonly<Record<string, readonly string[]>>)[groupOf(apiVersion)] ?? [];
      for (const url of crds) await this.loadCrd(url, kind);
    }
    this.loadMs += performance.now() - start;
  }

  /**
   * The compiled schema of a kind, or undefined when no pinned schema knows it (→ skipped). Unless
   * `withStatus`, a CRD's status subtree is left out of the compiled schema (it can be most of the schema,
   * e.g. Argo CD Application) and checked only for documents that carry a status.
   */
  get(apiVersion: string, kind: string, withStatus = false): KindSchema | undefined {
    const entry = this.entries.get(key(apiVersion, kind));
    if (!entry) return undefined;
    const status = withStatus && entry.crd !== undefined;
    const cached = status ? entry.compiledWithStatus : entry.compiled;
    if (cached) return cached;
    const start = performance.now();
    const cacheKey = this.cache.key(entry.crd ? 'crd' : 'core', entry.source, entry.textHash, apiVersion, kind, status ? 'status' : '');
    const validate = this.compile(cacheKey, () => (entry.crd ? crdJsonSchema(entry.crd, status) : this.coreRef(entry.source, apiVersion, kind)));
    this.loadMs += performance.now() - start;
    if (!validate) {
      this.entries.delete(key(apiVersion, kind));
      return undefined;
    }
    const compiled: KindSchema = { validate, structural: entry.crd, source: entry.source };
    if (status) entry.compiledWithStatus = compiled;
    else entry.compiled = compiled;
    return compiled;
  }

  /** The compiled Helm values schema of a chart listed in VALUES_SCHEMA_URLS. */
  async valuesSchema(chart: keyof typeof VALUES_SCHEMA_URLS): Promise<ValidateFunction> {
    const cached = this.values.get(chart);
    if (cached) return cached;
    const start = performance.now();
    const url = VALUES_SCHEMA_URLS[chart];
    const file = await this.file(url);
    const fn = this.compile(this.cache.key('values', url, file.hash), () => {
      const schema = (url.endsWith('.json') ? JSON.parse(file.text) : loadYaml(file.text)) as SchemaNode;
      delete schema.$schema;
      return schema;
    })!;
    this.values.set(chart, fn);
    this.loadMs += performance.now() - start;
    return fn;
  }

  /** A pinned schema file: read and hashed once per process while its size and mtime stay the same. */
  private async file(url: string): Promise<SchemaFile> {
    const path = await schemaPath(url, this.source);
    const st = statSync(path);
    const stamp = `${st.size}:${st.mtimeMs}`;
    let file = FILES.get(path);
    if (file?.stamp !== stamp) {
      const text = readFileSync(path, 'utf8');
      file = { stamp, text, hash: CompiledCache.textHash(text), kind: /^ {4}kind: *['"]?(\w+)/m.exec(text)?.[1] };
      FILES.set(path, file);
    }
    return file;
  }

  private async textHash(url: string): Promise<string> {
    const file = await this.file(url);
    this.coreTexts.set(url, file.text);
    return file.hash;
  }

  /** Text of the Kubernetes OpenAPI documents read by load() (parsed only on a cache miss). */
  private readonly coreTexts = new Map<string, string>();

  /** `{$ref}` to a Kubernetes kind's definition, registering its OpenAPI document with ajv on first use. */
  private coreRef(url: string, apiVersion: string, kind: string): object | undefined {
    let index = this.coreDocs.get(url);
    if (!index) {
      index = new Map();
      this.coreDocs.set(url, index);
      const doc = JSON.parse(this.coreTexts.get(url) ?? '{}') as { components?: { schemas?: Record<string, SchemaNode> } };
      const schemas = doc.components?.schemas ?? {};
      this.ajv.addSchema({ $id: url, definitions: (toJsonSchema({ definitions: schemas }, false, 'core') as SchemaNode).definitions });
      for (const [name, schema] of Object.entries(schemas)) {
        for (const gvk of (schema['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[]) {
          const gv = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
          // Shared types (DeleteOptions, WatchEvent) list several GVKs: first wins.
          if (!index.has(key(gv, gvk.kind))) index.set(key(gv, gvk.kind), name);
        }
      }
    }
    const name = index.get(key(apiVersion, kind));
    return name ? { $ref: `${url}#/definitions/${name}` } : undefined;
  }

  /**
   * The schemas of a CustomResourceDefinition object among the validated objects (a rendered chart ships its
   * CRDs): they replace the pinned schemas of its kinds, since they are what the cluster will serve. Call after load().
   */
  addCrd(crd: unknown, source: string): void {
    const spec = (crd as { spec?: Partial<ParsedCrd> } | null)?.spec;
    if (!spec || typeof spec.group !== 'string' || typeof spec.names?.kind !== 'string' || !Array.isArray(spec.versions)) return;
    for (const version of spec.versions as ParsedCrd['versions']) {
      if (version?.served === false || !version?.schema?.openAPIV3Schema) continue;
      const schema = version.schema.openAPIV3Schema;
      // Every cluster's release renders the same (interned) CRD object: its hash is computed once.
      let textHash = CRD_HASHES.get(schema);
      if (textHash === undefined) CRD_HASHES.set(schema, (textHash = CompiledCache.textHash(JSON.stringify(schema))));
      this.entries.set(key(`${spec.group}/${version.name}`, spec.names.kind), { source, textHash, crd: schema });
    }
  }

  /** The pinned CRD schema of a kind (openAPIV3Schema per served version) and its URL, when a pinned file defines it. */
  async pinnedCrd(group: string, kind: string): Promise<{ readonly url: string; readonly versions: Readonly<Record<string, SchemaNode>> } | undefined> {
    for (const url of (CRD_URLS as Readonly<Record<string, readonly string[]>>)[group] ?? []) {
      const file = await this.file(url);
      if (file.kind !== undefined && file.kind !== kind) continue;
      const crd = this.parsedCrd(url, file);
      if (crd.names.kind !== kind) continue;
      const versions: Record<string, SchemaNode> = {};
      for (const v of crd.versions) if (v.served !== false && v.schema?.openAPIV3Schema) versions[v.name] = v.schema.openAPIV3Schema;
      return { url, versions };
    }
    return undefined;
  }

  /** A pinned CRD file parsed, cached as JSON (JSON.parse is ~10x faster than YAML on the 1 MB KubeRay CRDs). */
  private parsedCrd(url: string, file: SchemaFile): ParsedCrd {
    const jsonKey = this.cache.key('crd-json', url, file.hash);
    let crd = CRDS.get(jsonKey) ?? this.cache.loadJson<ParsedCrd>(jsonKey);
    if (!crd) {
      const full = loadYaml(file.text) as { spec: ParsedCrd };
      crd = {
        group: full.spec.group,
        names: { kind: full.spec.names.kind },
        versions: full.spec.versions.map((v) => ({ name: v.name, served: v.served, schema: v.schema })),
      };
      this.cache.storeJson(jsonKey, crd);
    }
    CRDS.set(jsonKey, crd);
    return crd;
  }

  private async loadCrd(url: string, kind: string): Promise<void> {
    if (this.loadedUrls.has(url)) return;
    const file = await this.file(url);
    // Cheap pre-check before parsing megabytes of YAML: spec.names.kind of this CRD.
    if (file.kind !== undefined && file.kind !== kind) return;
    this.loadedUrls.add(url);
    const textHash = file.hash;
    const crd = this.parsedCrd(url, file);
    for (const version of crd.versions) {
      if (version.served === false || !version.schema?.openAPIV3Schema) continue;
      this.entries.set(key(`${crd.group}/${version.name}`, crd.names.kind), { source: url, textHash, crd: version.schema.openAPIV3Schema });
    }
  }
}

interface SchemaFile {
  readonly stamp: string;
  readonly text: string;
  readonly hash: string;
  /** spec.names.kind when the file is a CRD. */
  readonly kind?: string;
}

/** Per process: schema files by path, parsed CRDs by key (later validate() calls in one process reuse them). */
const FILES = new Map<string, SchemaFile>();
const CRDS = new Map<string, ParsedCrd>();

interface ParsedCrd {
  readonly group: string;
  readonly names: { readonly kind: string };
  readonly versions: readonly { readonly name: string; readonly served?: boolean; readonly schema?: { readonly openAPIV3Schema?: SchemaNode } }[];
}

/** A CRD version's JSON Schema: status reduced to `object` unless asked for; metadata checked as ObjectMeta. */
function crdJsonSchema(crd: SchemaNode, withStatus: boolean): object {
  const props = crd.properties as Record<string, SchemaNode> | undefined;
  const lean = !withStatus && props?.status ? { ...crd, properties: { ...props, status: { type: 'object' } } } : crd;
  const schema = toJsonSchema(lean, false, 'crd') as { properties?: Record<string, unknown> };
  // The API server validates a custom resource's metadata as ObjectMeta whatever the CRD says.
  if (schema.properties?.metadata) schema.properties.metadata = OBJECT_META;
  return schema;
}
