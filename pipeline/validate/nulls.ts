import type { SchemaNode } from '../check/schemas';

/**
 * `null`s as the API server decodes them, so rendered charts (`annotations: null`, `labels: null`, empty
 * keys) are judged as the cluster will judge them. Both functions copy only what they change (values may be
 * shared YAML aliases).
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Built-in kinds: the API server decodes JSON into Go structs, where `null` is the field's zero value — the
 * same as leaving the field out (nil map / slice / pointer, "" / 0 / false). So every null-valued key is
 * dropped, at any depth (`metadata.labels: null`, `spec.ports[0].name: null`).
 */
export function decodeBuiltinNulls<T>(value: T): T {
  if (Array.isArray(value)) {
    const items = value as unknown[];
    let out: unknown[] | undefined;
    items.forEach((v, i) => {
      const d = decodeBuiltinNulls(v);
      if (d !== v) (out ??= [...items])[i] = d;
    });
    return (out ?? value) as T;
  }
  if (!isObj(value)) return value;
  let out: Obj | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (v === null) {
      out ??= { ...value };
      delete out[k];
      continue;
    }
    const d = decodeBuiltinNulls(v);
    if (d !== v) (out ??= { ...value })[k] = d;
  }
  return (out ?? value) as T;
}

const childSchema = (s: SchemaNode | undefined, key: string): SchemaNode | undefined => {
  if (!s) return undefined;
  const props = s.properties as Record<string, SchemaNode> | undefined;
  if (props?.[key]) return props[key];
  return isObj(s.additionalProperties) ? s.additionalProperties : undefined;
};

/**
 * Custom resources, as the apiextensions server does before defaulting and validation ("Defaulting and
 * Nullable", https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#defaulting-and-nullable;
 * k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting/prunenulls.go
 * PruneNonNullableNullsWithoutDefaults): a null in a field whose schema is not `nullable: true` is pruned — then
 * a field with a default gets its default, and a required field without one is missing, as the API server
 * reports it. A null the schema does not describe (unknown field, preserve-unknown-fields) is left alone, as
 * is a null list item. `metadata` (top level and embedded resources) is decoded into Go's ObjectMeta: its
 * nulls are zero values.
 */
export function pruneCustomResourceNulls<T>(value: T, schema: SchemaNode | undefined): T {
  return prune(value, schema, true) as T;
}

function prune(value: unknown, schema: SchemaNode | undefined, resource: boolean): unknown {
  if (Array.isArray(value)) {
    const items = schema && isObj(schema.items) ? schema.items : undefined;
    const list = value as unknown[];
    let out: unknown[] | undefined;
    list.forEach((v, i) => {
      const d = prune(v, items, false);
      if (d !== v) (out ??= [...list])[i] = d;
    });
    return out ?? value;
  }
  if (!isObj(value)) return value;
  const embedded = resource || schema?.['x-kubernetes-embedded-resource'] === true;
  let out: Obj | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (embedded && k === 'metadata') {
      const d = decodeBuiltinNulls(v);
      if (d === null) {
        out ??= { ...value };
        delete out[k];
      } else if (d !== v) (out ??= { ...value })[k] = d;
      continue;
    }
    const child = childSchema(schema, k);
    if (v === null && child && child.nullable !== true && child.default === undefined) {
      out ??= { ...value };
      delete out[k];
      continue;
    }
    if (v === null && child && child.nullable !== true) {
      // defaulted by the API server right after pruning
      (out ??= { ...value })[k] = child.default;
      continue;
    }
    const d = prune(v, child, false);
    if (d !== v) (out ??= { ...value })[k] = d;
  }
  return out ?? value;
}
