import Ajv, { type ValidateFunction } from 'ajv';
import { load as loadYaml } from 'js-yaml';
import { CRD_URLS, KUBERNETES_OPENAPI_URLS, VALUES_SCHEMA_URLS } from '../schemas/pins';
import { readSchema, type SchemaSourceOptions } from '../schemas/resolve';

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
  /** CRD: the openAPIV3Schema. Core: a $ref into a registered document. */
  readonly crd?: SchemaNode;
  readonly ref?: string;
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

/** ajv wants `code` for standalone output, which eksai does not use. */
const goRegExp = Object.assign(goRegExpEngine, { code: 'new RegExp' });

const key = (apiVersion: string, kind: string): string => `${apiVersion}|${kind}`;

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Converts a Kubernetes structural / OpenAPI v3 schema to JSON Schema for ajv: `#/components/schemas/X`
 * refs, int-or-string, preserve-unknown-fields, embedded resources, nullable; unknown fields are rejected
 * where the schema lists properties and does not preserve unknown fields (what the API server prunes or,
 * with strict field validation, rejects). Descriptions, defaults, formats and x- extensions are dropped.
 */
export function toJsonSchema(node: unknown, inJunctor = false): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, inJunctor));
  if (node === null || typeof node !== 'object') return node;
  const n = node as SchemaNode;
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(n)) {
    if (k === 'description' || k === 'default' || k === 'format' || k === 'example' || k.startsWith('x-')) continue;
    if (k === 'nullable') continue;
    if (k === '$ref' && typeof v === 'string') {
      out.$ref = v.replace('#/components/schemas/', '#/definitions/');
    } else if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as SchemaNode).map(([p, s]) => [p, toJsonSchema(s, inJunctor)]));
    } else if (k === 'oneOf' || k === 'anyOf' || k === 'allOf' || k === 'not') {
      // Structural schemas: branches of logical junctors only constrain values (required, enum...), they never
      // declare fields, so they must not reject the parent's fields.
      out[k] = toJsonSchema(v, true);
    } else {
      out[k] = toJsonSchema(v, inJunctor);
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
 * The schemas of one validation run: loads only the pinned files the kinds present need, indexes CRDs by
 * apiVersion+kind for every served version and Kubernetes kinds by x-kubernetes-group-version-kind, and
 * compiles each kind once, on first use.
 */
export class SchemaSet {
  readonly ajv: Ajv;
  private readonly entries = new Map<string, Entry>();
  private readonly loadedUrls = new Set<string>();
  private readonly values = new Map<string, ValidateFunction>();
  /** Total ms spent reading, parsing and compiling schemas. */
  loadMs = 0;

  constructor(private readonly source: SchemaSourceOptions = {}) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: false, code: { regExp: goRegExp, optimize: false } });
    // optimize: false — ajv's code optimiser costs ~4x compile time on CRD-sized schemas and saves little at run time.
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
      if (core) await this.loadCore(core);
      const crds = (CRD_URLS as Readonly<Record<string, readonly string[]>>)[groupOf(apiVersion)] ?? [];
      for (const url of crds) await this.loadCrd(url, kind);
    }
    this.loadMs += performance.now() - start;
  }

  has(apiVersion: string, kind: string): boolean {
    return this.entries.has(key(apiVersion, kind));
  }

  /**
   * The compiled schema of a kind, or undefined when no pinned schema knows it (→ skipped). Unless
   * `withStatus`, a CRD's status subtree is left out of the compiled schema (it can be most of the schema,
   * e.g. Argo CD Application) and checked only for documents that carry a status.
   */
  get(apiVersion: string, kind: string, withStatus = false): KindSchema | undefined {
    const entry = this.entries.get(key(apiVersion, kind));
    if (!entry) return undefined;
    const cached = withStatus ? entry.compiledWithStatus : entry.compiled;
    if (cached) return cached;
    const start = performance.now();
    let schema: unknown = { $ref: entry.ref };
    if (entry.crd) {
      const props = entry.crd.properties as Record<string, SchemaNode> | undefined;
      const lean = !withStatus && props?.status ? { ...entry.crd, properties: { ...props, status: { type: 'object' } } } : entry.crd;
      schema = toJsonSchema(lean);
      // The API server validates a custom resource's metadata as ObjectMeta whatever the CRD says.
      const root = schema as { properties?: Record<string, unknown> };
      if (root.properties?.metadata) root.properties.metadata = OBJECT_META;
    }
    const compiled: KindSchema = { validate: this.ajv.compile(schema as object), structural: entry.crd, source: entry.source };
    if (withStatus) entry.compiledWithStatus = compiled;
    else entry.compiled = compiled;
    this.loadMs += performance.now() - start;
    return compiled;
  }

  /** The compiled Helm values schema of a chart listed in VALUES_SCHEMA_URLS. */
  async valuesSchema(chart: keyof typeof VALUES_SCHEMA_URLS): Promise<ValidateFunction> {
    const cached = this.values.get(chart);
    if (cached) return cached;
    const start = performance.now();
    const url = VALUES_SCHEMA_URLS[chart];
    const text = await readSchema(url, this.source);
    const schema = (url.endsWith('.json') ? JSON.parse(text) : loadYaml(text)) as SchemaNode;
    delete schema.$schema;
    const fn = this.ajv.compile(schema);
    this.values.set(chart, fn);
    this.loadMs += performance.now() - start;
    return fn;
  }

  private async loadCore(url: string): Promise<void> {
    if (this.loadedUrls.has(url)) return;
    this.loadedUrls.add(url);
    const doc = JSON.parse(await readSchema(url, this.source)) as { components?: { schemas?: Record<string, SchemaNode> } };
    const schemas = doc.components?.schemas ?? {};
    this.ajv.addSchema({ $id: url, definitions: (toJsonSchema({ definitions: schemas }) as SchemaNode).definitions } as object);
    for (const [name, schema] of Object.entries(schemas)) {
      const gvks = (schema['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[];
      for (const gvk of gvks) {
        const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
        // The same GVK appears in several documents only for shared types (DeleteOptions, WatchEvent): first wins.
        if (!this.entries.has(key(apiVersion, gvk.kind))) {
          this.entries.set(key(apiVersion, gvk.kind), { source: url, ref: `${url}#/definitions/${name}` });
        }
      }
    }
  }

  private async loadCrd(url: string, kind: string): Promise<void> {
    if (this.loadedUrls.has(url)) return;
    const text = await readSchema(url, this.source);
    // Cheap pre-check before parsing megabytes of YAML: spec.names.kind of this CRD.
    const declared = /^ {4}kind: *['"]?(\w+)/m.exec(text)?.[1];
    if (declared !== undefined && declared !== kind) return;
    this.loadedUrls.add(url);
    const crd = loadYaml(text) as {
      spec: { group: string; names: { kind: string }; versions: { name: string; served?: boolean; schema?: { openAPIV3Schema?: SchemaNode } }[] };
    };
    for (const version of crd.spec.versions) {
      if (version.served === false || !version.schema?.openAPIV3Schema) continue;
      this.entries.set(key(`${crd.spec.group}/${version.name}`, crd.spec.names.kind), { source: url, crd: version.schema.openAPIV3Schema });
    }
  }
}
