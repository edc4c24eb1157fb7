import { load as loadYaml } from 'js-yaml';
import { CRD_URLS } from '../../lib/schemas/pins';
import { readSchema, type SchemaSourceOptions } from '../../lib/schemas/resolve';
import { childPath, evaluateRule, rulePath, toCelValue, type CelFinding, type CelRule } from './cel';
import type { SchemaNode } from './schemas';

/**
 * CRD transition rules: `x-kubernetes-validations` rules that use `oldSelf` (immutable fields, one-way
 * switches), which the API server evaluates only on an update, with `oldSelf` bound to the stored object's
 * value at the rule's node. `eksai validate` sees one version and skips them; `eksai diff` sees both and
 * evaluates them here with the same CEL environment as pipeline/check/cel.ts.
 *
 * Like the API server, a rule runs only where the old and new values correlate: object properties and map
 * keys by name, `x-kubernetes-list-type: map` items by their keys (atomic and set lists do not correlate,
 * so rules inside their items never run on update). Unchanged values are not re-validated (CRD validation
 * ratcheting, on by default since Kubernetes 1.30).
 */

type Rule = CelRule;

const TRANSITION = /\boldSelf\b/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function transitionRules(schema: SchemaNode): Rule[] {
  const rules = schema['x-kubernetes-validations'];
  return Array.isArray(rules) ? (rules as Rule[]).filter((r) => typeof r.rule === 'string' && TRANSITION.test(r.rule)) : [];
}

/** Evaluates the transition rules of a CRD schema on an update from `oldValue` to `newValue`; compiles each rule once. */
export class TransitionValidator {
  validate(schema: SchemaNode, oldValue: unknown, newValue: unknown): CelFinding[] {
    const out: CelFinding[] = [];
    this.walk(schema, oldValue, newValue, '', out);
    return out;
  }

  private walk(schema: SchemaNode, old: unknown, cur: unknown, path: string, out: CelFinding[]): void {
    if (cur === undefined || cur === null) return;
    if (old === undefined || old === null) {
      // optionalOldSelf rules also run on fields the update adds; cel-js has no optional values to bind.
      for (const r of transitionRules(schema).filter((r) => r.optionalOldSelf === true)) {
        out.push({
          path: rulePath(r, path),
          rule: r.rule,
          outcome: 'unevaluated',
          message: 'rule could not be evaluated: optionalOldSelf needs CEL optional values',
        });
      }
      return;
    }
    if (JSON.stringify(old) === JSON.stringify(cur)) return;
    for (const r of transitionRules(schema)) this.check(r, schema, old, cur, path, out);
    if (Array.isArray(cur) && Array.isArray(old)) {
      const items = schema.items as SchemaNode | undefined;
      const keys = schema['x-kubernetes-list-map-keys'] as string[] | undefined;
      if (!items || schema['x-kubernetes-list-type'] !== 'map' || !keys) return;
      const id = (item: unknown) => (isObject(item) ? JSON.stringify(keys.map((k) => item[k])) : undefined);
      (cur as unknown[]).forEach((item, i) => {
        const before = (old as unknown[]).find((o) => id(o) !== undefined && id(o) === id(item));
        if (before !== undefined) this.walk(items, before, item, `${path}[${i}]`, out);
      });
      return;
    }
    if (!isObject(cur) || !isObject(old)) return;
    const props = schema.properties as Record<string, SchemaNode> | undefined;
    const additional = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as SchemaNode) : undefined;
    for (const [k, v] of Object.entries(cur)) {
      const child = props?.[k] ?? additional;
      if (child) this.walk(child, old[k], v, childPath(path, k), out);
    }
  }

  private check(r: Rule, schema: SchemaNode, old: unknown, cur: unknown, path: string, out: CelFinding[]): void {
    const finding = evaluateRule(r, { self: toCelValue(schema, cur), oldSelf: toCelValue(schema, old) }, path);
    if (finding) out.push(finding);
  }
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The structural schemas (by `apiVersion|kind`) of the pinned CRDs of these kinds that have transition
 * rules. Only CRD files that mention `oldSelf` and declare one of the kinds are parsed. Throws
 * EnvironmentError when a pinned file cannot be had (no mirror, no network).
 */
export async function transitionSchemas(
  kinds: Iterable<{ readonly apiVersion: string; readonly kind: string }>,
  source: SchemaSourceOptions = {},
): Promise<Map<string, SchemaNode>> {
  const wanted = new Map<string, Set<string>>();
  for (const { apiVersion, kind } of kinds) {
    const group = groupOf(apiVersion);
    if (!(group in CRD_URLS)) continue;
    wanted.set(group, (wanted.get(group) ?? new Set()).add(kind));
  }
  const out = new Map<string, SchemaNode>();
  for (const [group, groupKinds] of wanted) {
    for (const url of (CRD_URLS as Readonly<Record<string, readonly string[]>>)[group] ?? []) {
      const text = await readSchema(url, source);
      const declared = /^ {4}kind: *['"]?(\w+)/m.exec(text)?.[1];
      if (!TRANSITION.test(text) || (declared !== undefined && !groupKinds.has(declared))) continue;
      const crd = loadYaml(text) as {
        spec: { group: string; names: { kind: string }; versions: { name: string; served?: boolean; schema?: { openAPIV3Schema?: SchemaNode } }[] };
      };
      for (const version of crd.spec.versions) {
        if (version.served === false || !version.schema?.openAPIV3Schema) continue;
        out.set(`${crd.spec.group}/${version.name}|${crd.spec.names.kind}`, version.schema.openAPIV3Schema);
      }
    }
  }
  return out;
}
