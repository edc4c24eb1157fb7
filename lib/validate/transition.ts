import { load as loadYaml } from 'js-yaml';
import { CRD_URLS } from '../schemas/pins';
import { readSchema, type SchemaSourceOptions } from '../schemas/resolve';
import { childPath, compiledRule, toCelValue, type CelFinding } from './cel';
import type { SchemaNode } from './schemas';

/**
 * CRD transition rules: `x-kubernetes-validations` rules that use `oldSelf` (immutable fields, one-way
 * switches), which the API server evaluates only on an update, with `oldSelf` bound to the stored object's
 * value at the rule's node. `eksai validate` sees one version and skips them; `eksai diff` sees both and
 * evaluates them here with the same CEL environment as lib/validate/cel.ts.
 *
 * Like the API server, a rule runs only where the old and new values correlate: object properties and map
 * keys by name, `x-kubernetes-list-type: map` items by their keys (atomic and set lists do not correlate,
 * so rules inside their items never run on update). Unchanged values are not re-validated (CRD validation
 * ratcheting, on by default since Kubernetes 1.30).
 */

interface Rule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly optionalOldSelf?: boolean;
}

type Program = (ctx: Record<string, unknown>) => unknown;

const TRANSITION = /\boldSelf\b/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function transitionRules(schema: SchemaNode): Rule[] {
  const rules = schema['x-kubernetes-validations'];
  return Array.isArray(rules) ? (rules as Rule[]).filter((r) => typeof r.rule === 'string' && TRANSITION.test(r.rule)) : [];
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** Evaluates the transition rules of a CRD schema on an update from `oldValue` to `newValue`; compiles each rule once. */
export class TransitionValidator {

  validate(schema: SchemaNode, oldValue: unknown, newValue: unknown): CelFinding[] {
    const out: CelFinding[] = [];
    this.walk(schema, oldValue, newValue, '', out);
    return out;
  }

  private program(rule: string): Program | Error {
    return compiledRule(rule);
  }

  private walk(schema: SchemaNode, old: unknown, cur: unknown, path: string, out: CelFinding[]): void {
    if (cur === undefined || cur === null) return;
    if (old === undefined || old === null) {
      // optionalOldSelf rules also run on fields the update adds; cel-js has no optional values to bind.
      for (const r of transitionRules(schema).filter((r) => r.optionalOldSelf === true)) {
        out.push({ path: this.where(r, path), rule: r.rule, outcome: 'unevaluated', message: 'rule could not be evaluated: optionalOldSelf needs CEL optional values' });
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
      cur.forEach((item, i) => {
        const before = old.find((o) => id(o) !== undefined && id(o) === id(item));
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

  private where(r: Rule, path: string): string {
    return r.fieldPath ? `${path}${r.fieldPath}`.replace(/^\./, '') : path;
  }

  private check(r: Rule, schema: SchemaNode, old: unknown, cur: unknown, path: string, out: CelFinding[]): void {
    const where = this.where(r, path);
    const program = this.program(r.rule);
    if (program instanceof Error) {
      out.push({ path: where, rule: r.rule, outcome: 'unevaluated', message: `rule could not be compiled: ${firstLine(program.message)}` });
      return;
    }
    const vars = { self: toCelValue(schema, cur), oldSelf: toCelValue(schema, old) };
    let result: unknown;
    try {
      result = program(vars);
    } catch (err) {
      out.push({ path: where, rule: r.rule, outcome: 'unevaluated', message: `rule could not be evaluated: ${firstLine((err as Error).message)}` });
      return;
    }
    if (result === true) return;
    if (result !== false) {
      out.push({ path: where, rule: r.rule, outcome: 'unevaluated', message: `rule returned ${String(result)}, not a bool` });
      return;
    }
    out.push({ path: where, rule: r.rule, outcome: 'failed', message: r.message ?? this.messageOf(r, vars) });
  }

  private messageOf(r: Rule, vars: Record<string, unknown>): string {
    if (r.messageExpression) {
      const program = this.program(r.messageExpression);
      if (!(program instanceof Error)) {
        try {
          const text = program(vars);
          if (typeof text === 'string') return text;
        } catch {
          // fall through to the rule text
        }
      }
    }
    return `failed rule: ${r.rule}`;
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
export async function transitionSchemas(kinds: Iterable<{ readonly apiVersion: string; readonly kind: string }>, source: SchemaSourceOptions = {}): Promise<Map<string, SchemaNode>> {
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
      const crd = loadYaml(text) as { spec: { group: string; names: { kind: string }; versions: { name: string; served?: boolean; schema?: { openAPIV3Schema?: SchemaNode } }[] } };
      for (const version of crd.spec.versions) {
        if (version.served === false || !version.schema?.openAPIV3Schema) continue;
        out.set(`${crd.spec.group}/${version.name}|${crd.spec.names.kind}`, version.schema.openAPIV3Schema);
      }
    }
  }
  return out;
}
