import { load as loadYaml } from 'js-yaml';
import { CRD_URLS, KUBERNETES_OPENAPI_URLS } from '../../lib/schemas/pins';
import { readSchema, type SchemaSourceOptions } from '../../lib/schemas/resolve';
import type { ParseProblem } from './identity';

/**
 * How diff aligns list items by identity. Kubernetes' own keys come first: `x-kubernetes-list-map-keys` of
 * `x-kubernetes-list-type: map` lists (containers and env by name, container ports by containerPort+protocol,
 * Service ports by port+protocol, volumes by name), else `x-kubernetes-patch-merge-key` (the strategic
 * merge key), read from the pinned Kubernetes 1.35 OpenAPI and CRD schemas (lib/schemas, the same files
 * `eksai validate` reads). A key missing from an item takes its schema default (`protocol: TCP`), as the API
 * server does. Lists no schema types (Helm values, Argo CD's CRDs, which declare no list keys) are keyed by
 * the first name-like field every item has, unique on both sides (UNTYPED_KEYS, after dyff's identifiers).
 */

export type SchemaNode = Record<string, unknown>;

/** A position in a kind's schema; `doc` resolves `$ref`s of the OpenAPI document it came from. */
export interface SchemaCursor {
  readonly node: SchemaNode;
  readonly doc?: Readonly<Record<string, SchemaNode>>;
}

/** The key fields of a list and their schema defaults. */
export interface ListKey {
  readonly fields: readonly string[];
  readonly defaults: Readonly<Record<string, unknown>>;
}

/** Name-like keys of untyped lists, first match wins: JupyterHub profiles by slug, AppProject destinations by namespace+server... */
export const UNTYPED_KEYS: readonly (readonly string[])[] = [
  ['name'],
  ['slug'],
  ['key'],
  ['id'],
  ['display_name'],
  ['namespace', 'server'],
  ['namespace', 'name'],
  ['group', 'kind'],
  ['deviceName'],
  ['mountPath'],
  ['containerPort'],
  ['port'],
];

function isObject(v: unknown): v is SchemaNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows `$ref` and single-`allOf` wrappers (how the v3 OpenAPI documents reference a type). */
function resolved(c: SchemaCursor): SchemaNode {
  let node = c.node;
  for (let i = 0; i < 16; i++) {
    const ref =
      typeof node.$ref === 'string'
        ? node.$ref
        : Array.isArray(node.allOf) && node.allOf.length === 1 && isObject(node.allOf[0]) && typeof node.allOf[0].$ref === 'string'
          ? node.allOf[0].$ref
          : undefined;
    if (!ref || !c.doc) return node;
    const target = c.doc[ref.replace('#/components/schemas/', '')];
    if (!target) return node;
    node = target;
  }
  return node;
}

/** The schema of an object's property (or additionalProperties). */
export function childCursor(c: SchemaCursor | undefined, key: string): SchemaCursor | undefined {
  if (!c) return undefined;
  const n = resolved(c);
  const props = isObject(n.properties) ? n.properties : undefined;
  const child = props?.[key] ?? (isObject(n.additionalProperties) ? n.additionalProperties : undefined);
  return isObject(child) ? { node: child, doc: c.doc } : undefined;
}

/** The schema of a list's items. */
export function itemsCursor(c: SchemaCursor | undefined): SchemaCursor | undefined {
  if (!c) return undefined;
  const items = resolved(c).items;
  return isObject(items) ? { node: items, doc: c.doc } : undefined;
}

/** The list's Kubernetes key, when its schema declares one. */
export function schemaListKey(c: SchemaCursor | undefined): ListKey | undefined {
  if (!c) return undefined;
  const n = c.node;
  const fields =
    n['x-kubernetes-list-type'] === 'map' && Array.isArray(n['x-kubernetes-list-map-keys'])
      ? (n['x-kubernetes-list-map-keys'] as string[])
      : typeof n['x-kubernetes-patch-merge-key'] === 'string'
        ? [n['x-kubernetes-patch-merge-key']]
        : undefined;
  if (!fields || fields.length === 0) return undefined;
  const items = itemsCursor(c);
  const defaults: Record<string, unknown> = {};
  for (const f of fields) {
    const d = childCursor(items, f)?.node.default;
    if (d !== undefined) defaults[f] = d;
  }
  return { fields, defaults };
}

/** Schemas by `apiVersion|kind`. */
export type KindSchemas = ReadonlyMap<string, SchemaCursor>;

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Parsed pinned files of this process (a fleet diff reads each once). */
const PARSED = new Map<string, Map<string, SchemaCursor>>();

async function kindsOfCore(url: string, source: SchemaSourceOptions): Promise<Map<string, SchemaCursor>> {
  const doc = (JSON.parse(await readSchema(url, source)) as { components?: { schemas?: Record<string, SchemaNode> } }).components?.schemas ?? {};
  const out = new Map<string, SchemaCursor>();
  for (const schema of Object.values(doc)) {
    for (const gvk of (schema['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[]) {
      const gv = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      if (!out.has(`${gv}|${gvk.kind}`)) out.set(`${gv}|${gvk.kind}`, { node: schema, doc });
    }
  }
  return out;
}

async function kindsOfCrd(url: string, source: SchemaSourceOptions): Promise<Map<string, SchemaCursor>> {
  const crd = loadYaml(await readSchema(url, source)) as {
    spec: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema?: SchemaNode } }[] };
  };
  const out = new Map<string, SchemaCursor>();
  for (const v of crd.spec.versions)
    if (v.schema?.openAPIV3Schema) out.set(`${crd.spec.group}/${v.name}|${crd.spec.names.kind}`, { node: v.schema.openAPIV3Schema });
  return out;
}

/**
 * The schemas of these kinds from the pinned files (only the files of their group-versions; a CRD file only
 * when its text declares one of the kinds, or lists keys at all). A file that cannot be read is one problem
 * (its kinds fall back to the untyped keys), never an error.
 */
export async function loadKindSchemas(
  kinds: Iterable<{ readonly apiVersion: string; readonly kind: string }>,
  source: SchemaSourceOptions = {},
): Promise<{ schemas: Map<string, SchemaCursor>; problems: ParseProblem[] }> {
  const urls = new Map<string, 'core' | 'crd'>();
  const wanted = new Set<string>();
  for (const { apiVersion, kind } of kinds) {
    wanted.add(`${apiVersion}|${kind}`);
    const core = KUBERNETES_OPENAPI_URLS[apiVersion];
    if (core) urls.set(core, 'core');
    for (const url of (CRD_URLS as Readonly<Record<string, readonly string[]>>)[groupOf(apiVersion)] ?? []) urls.set(url, 'crd');
  }
  const schemas = new Map<string, SchemaCursor>();
  const failed: string[] = [];
  for (const [url, type] of urls) {
    try {
      let parsed = PARSED.get(url);
      if (!parsed) {
        if (type === 'crd') {
          const text = await readSchema(url, source);
          const declared = /^ {4}kind: *['"]?(\w+)/m.exec(text)?.[1];
          // A CRD that declares no list keys (Argo CD's) adds nothing to the untyped keys: not parsed.
          if ((declared !== undefined && ![...wanted].some((w) => w.endsWith(`|${declared}`))) || !/x-kubernetes-(list-map-keys|patch-merge-key)/.test(text))
            continue;
        }
        parsed = type === 'core' ? await kindsOfCore(url, source) : await kindsOfCrd(url, source);
        PARSED.set(url, parsed);
      }
      for (const [k, v] of parsed) if (wanted.has(k)) schemas.set(k, v);
    } catch (err) {
      failed.push((err as Error).message);
    }
  }
  const problems: ParseProblem[] =
    failed.length === 0
      ? []
      : [
          {
            file: '(schemas)',
            message: `lists of ${failed.length === 1 ? '1 schema file' : `${failed.length} schema files`} aligned by name-like keys only (no Kubernetes list keys): ${failed[0]}`,
          },
        ];
  return { schemas, problems };
}
