import { childPath } from '../check/cel';
import type { SchemaNode } from '../check/schemas';

/** One duplicate in an `x-kubernetes-list-type: set|map` list. */
export interface ListFinding {
  readonly path: string;
  readonly message: string;
}

const LISTS = new WeakMap<SchemaNode, boolean>();

/** Whether a schema node or anything below it declares a set or map list type (memoised per node). */
function hasLists(schema: SchemaNode): boolean {
  let has = LISTS.get(schema);
  if (has === undefined) {
    LISTS.set(schema, false);
    const type = schema['x-kubernetes-list-type'];
    const children = [...Object.values((schema.properties ?? {}) as Record<string, SchemaNode>), schema.items, schema.additionalProperties];
    has = type === 'set' || type === 'map' || children.some((c) => c !== null && typeof c === 'object' && !Array.isArray(c) && hasLists(c as SchemaNode));
    LISTS.set(schema, has);
  }
  return has;
}

/** A canonical text of a value, object keys sorted (set items and map keys compare by value). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Uniqueness of `x-kubernetes-list-type: set` items and of `map` entries' `x-kubernetes-list-map-keys`
 * (a missing key takes its schema default), as the API server checks custom resources ("Duplicate value").
 * Kubernetes' own kinds are not checked here: their Go validation decides (duplicate env names, for one, are
 * accepted there with a warning), while the same PodSpec embedded in a CRD is held to its list types.
 */
export function listTypeFindings(schema: SchemaNode, value: unknown, path = ''): ListFinding[] {
  const out: ListFinding[] = [];
  walk(schema, value, path, out);
  return out;
}

function walk(schema: SchemaNode, value: unknown, path: string, out: ListFinding[]): void {
  if (value === null || typeof value !== 'object' || !hasLists(schema)) return;
  if (Array.isArray(value)) {
    const items = (schema.items ?? {}) as SchemaNode;
    const type = schema['x-kubernetes-list-type'];
    if (type === 'set' || type === 'map') {
      const keys = type === 'map' ? ((schema['x-kubernetes-list-map-keys'] ?? []) as string[]) : [];
      const props = (items.properties ?? {}) as Record<string, SchemaNode>;
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const id =
          type === 'set'
            ? canonical(item)
            : canonical(Object.fromEntries(keys.map((k) => [k, (item as Record<string, unknown> | null)?.[k] ?? props[k]?.default ?? null])));
        if (seen.has(id)) {
          const what = type === 'set' ? `Duplicate value: ${id}` : `Duplicate value: ${id} (entries of this list are keyed by ${keys.join(', ')})`;
          out.push({ path: `${path}[${i}]`, message: `${what}: remove the duplicate or merge the entries` });
        }
        seen.add(id);
      });
    }
    value.forEach((v, i) => walk(items, v, `${path}[${i}]`, out));
    return;
  }
  const props = schema.properties as Record<string, SchemaNode> | undefined;
  const additional = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as SchemaNode) : undefined;
  for (const [k, v] of Object.entries(value)) {
    const child = props?.[k] ?? additional;
    if (child) walk(child, v, childPath(path, k), out);
  }
}
