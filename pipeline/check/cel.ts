import { QUANTITY_SUFFIXES } from '../../lib/config/quantity';
import type { SchemaNode } from './schemas';

// cel-js is ESM-only; Node 20.19+ (and tsx) can require() it synchronously.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Environment } = require('@marcbachmann/cel-js') as typeof import('@marcbachmann/cel-js');

/** One failed or unevaluated x-kubernetes-validations rule. */
export interface CelFinding {
  /** Dotted field path of the rule's node (plus its fieldPath when the rule sets one). */
  readonly path: string;
  readonly message: string;
  readonly rule: string;
  /** 'failed': the rule evaluated to false; 'unevaluated': it could not be evaluated (reason in message). */
  readonly outcome: 'failed' | 'unevaluated';
}

/** One `x-kubernetes-validations` entry. */
export interface CelRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: string;
  readonly optionalOldSelf?: boolean;
}
type Rule = CelRule;

/** Kubernetes CEL library functions the pinned CRDs use, on top of the CEL standard library. */
export function kubernetesEnvironment(): InstanceType<typeof Environment> {
  const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  const add = (signature: string, handler: (...args: never[]) => unknown): void => {
    try {
      env.registerFunction(signature, handler as (...args: unknown[]) => unknown);
    } catch (err) {
      // cel-js already ships this overload (its standard library covers it): keep the built-in.
      if (!/overlaps/.test((err as Error).message)) throw err;
    }
  };
  // k8s regex library: find returns the first match or ''; findAll returns every match.
  add('string.find(string): string', (s: string, re: string) => new RegExp(re).exec(s)?.[0] ?? '');
  add('string.findAll(string): list<string>', (s: string, re: string) => [...s.matchAll(new RegExp(re, 'g'))].map((m) => m[0]));
  // k8s strings extension (split, lowerAscii, upperAscii, trim, replace, indexOf, join).
  add('string.split(string): list<string>', (s: string, sep: string) => s.split(sep));
  add('string.lowerAscii(): string', (s: string) => s.toLowerCase());
  add('string.upperAscii(): string', (s: string) => s.toUpperCase());
  add('string.trim(): string', (s: string) => s.trim());
  add('string.replace(string, string): string', (s: string, a: string, b: string) => s.split(a).join(b));
  add('string.indexOf(string): int', (s: string, sub: string) => BigInt(s.indexOf(sub)));
  add('list<string>.join(string): string', (l: string[], sep: string) => l.join(sep));
  // k8s quantity library (resource.Quantity); values compared as doubles, exact for the sizes manifests use.
  env.registerType('Quantity', Quantity);
  add('quantity(string): Quantity', (s: string) => Quantity.parse(s));
  add('isQuantity(string): bool', (s: string) => Quantity.valid(s));
  add('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.value < b.value);
  add('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.value > b.value);
  add('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(Math.sign(a.value - b.value)));
  add('Quantity.sign(): int', (a: Quantity) => BigInt(Math.sign(a.value)));
  add('Quantity.isInteger(): bool', (a: Quantity) => Number.isInteger(a.value));
  add('Quantity.asInteger(): int', (a: Quantity) => {
    if (!Number.isInteger(a.value)) throw new Error(`quantity ${a.text} is not an integer`);
    return BigInt(a.value);
  });
  add('Quantity.asApproximateFloat(): double', (a: Quantity) => a.value);
  add('Quantity.add(Quantity): Quantity', (a: Quantity, b: Quantity) => new Quantity(a.value + b.value, `${a.value + b.value}`));
  add('Quantity.sub(Quantity): Quantity', (a: Quantity, b: Quantity) => new Quantity(a.value - b.value, `${a.value - b.value}`));
  return env;
}

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/;

/** A Kubernetes resource.Quantity for CEL (`quantity('1Gi')`). */
export class Quantity {
  constructor(
    readonly value: number,
    readonly text: string,
  ) {}

  static valid(text: string): boolean {
    return QUANTITY.test(text);
  }

  static parse(text: string): Quantity {
    const m = QUANTITY.exec(text);
    if (!m) throw new Error(`invalid quantity ${JSON.stringify(text)}`);
    const exp = m[2] ? 10 ** Number(m[2].slice(1)) : QUANTITY_SUFFIXES[m[3] ?? '']!;
    return new Quantity(Number(m[1]) * exp, text);
  }
}

/** `spec` + `labels` → `spec.labels`; keys that are not identifiers are quoted: `metadata.annotations["karpenter.sh/do-not-disrupt"]`. */
export function childPath(parent: string, key: string): string {
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent ? `${parent}.${key}` : key;
}

type Program = (ctx: Record<string, unknown>) => unknown;

let ENV: InstanceType<typeof Environment> | undefined;
const PROGRAMS = new Map<string, Program | Error>();

/**
 * A CEL rule (or messageExpression) parsed once per process in one environment, or the error parsing gave:
 * rules repeat across documents, kinds and validate() calls, and validate and diff share them.
 */
export function compiledRule(rule: string): Program | Error {
  let program = PROGRAMS.get(rule);
  if (!program) {
    try {
      program = (ENV ??= kubernetesEnvironment()).parse(rule);
    } catch (err) {
      program = err as Error;
    }
    PROGRAMS.set(rule, program);
  }
  return program;
}

/** Evaluates every x-kubernetes-validations rule of a CRD schema against a document; compiles each rule once. */
export class CelValidator {
  validate(schema: SchemaNode, value: unknown): CelFinding[] {
    const findings: CelFinding[] = [];
    this.walk(schema, value, '', findings);
    return findings;
  }

  /** Walks only the subtrees whose schema has rules; `self` is converted (toCelValue) only at rule nodes. */
  private walk(schema: SchemaNode, value: unknown, path: string, out: CelFinding[]): void {
    if (value === undefined || value === null || !hasRules(schema)) return;
    const rules = schema['x-kubernetes-validations'] as Rule[] | undefined;
    if (rules && rules.length > 0) {
      const self = toCelValue(schema, value);
      for (const r of rules) this.check(r, self, path, out);
    }
    if (Array.isArray(value)) {
      const items = schema.items as SchemaNode | undefined;
      if (items) value.forEach((v, i) => this.walk(items, v, `${path}[${i}]`, out));
      return;
    }
    if (typeof value !== 'object') return;
    const props = schema.properties as Record<string, SchemaNode> | undefined;
    const additional = schema.additionalProperties;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const child = props?.[k] ?? (typeof additional === 'object' ? (additional as SchemaNode) : undefined);
      if (child) this.walk(child, v, childPath(path, k), out);
    }
  }

  private check(r: Rule, self: unknown, path: string, out: CelFinding[]): void {
    if (/\boldSelf\b/.test(r.rule)) return; // transition rule: needs the old object (see pipeline/diff)
    const finding = evaluateRule(r, { self }, path);
    if (finding) out.push(finding);
  }
}

/** Where a rule's finding points: its node, or the field its `fieldPath` names. */
export function rulePath(r: CelRule, path: string): string {
  return r.fieldPath ? `${path}${r.fieldPath}`.replace(/^\./, '') : path;
}

/**
 * Evaluates one rule with its variables (`self`, and `oldSelf` for transition rules) as the API server
 * would: undefined when it holds, a failed finding with its message (or messageExpression) when it does
 * not, an unevaluated one when it cannot be compiled, throws or returns no bool.
 */
export function evaluateRule(r: CelRule, vars: Record<string, unknown>, path: string): CelFinding | undefined {
  const where = rulePath(r, path);
  const program = compiledRule(r.rule);
  if (program instanceof Error)
    return { path: where, rule: r.rule, outcome: 'unevaluated', message: `rule could not be compiled: ${firstLine(program.message)}` };
  let result: unknown;
  try {
    result = program(vars);
  } catch (err) {
    return { path: where, rule: r.rule, outcome: 'unevaluated', message: `rule could not be evaluated: ${firstLine((err as Error).message)}` };
  }
  if (result === true) return undefined;
  if (result !== false) return { path: where, rule: r.rule, outcome: 'unevaluated', message: `rule returned ${String(result)}, not a bool` };
  return { path: where, rule: r.rule, outcome: 'failed', message: r.message ?? messageOf(r, vars) };
}

function messageOf(r: CelRule, vars: Record<string, unknown>): string {
  if (r.messageExpression) {
    const program = compiledRule(r.messageExpression);
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

const RULES = new WeakMap<SchemaNode, boolean>();

/** Whether a schema node or anything below it carries x-kubernetes-validations (memoised per node). */
function hasRules(schema: SchemaNode): boolean {
  let has = RULES.get(schema);
  if (has === undefined) {
    RULES.set(schema, false); // cycles cannot occur in structural schemas; this only guards against them
    const props = Object.values((schema.properties ?? {}) as Record<string, SchemaNode>);
    const children = [...props, schema.items, schema.additionalProperties].filter(
      (c): c is SchemaNode => c !== null && typeof c === 'object' && !Array.isArray(c),
    );
    has = Array.isArray(schema['x-kubernetes-validations']) || children.some(hasRules);
    RULES.set(schema, has);
  }
  return has;
}

/**
 * The value as the API server hands it to CEL: fields typed `integer` (and whole numbers in int-or-string
 * fields) become CEL ints (BigInt); `number` stays double. Schema-less subtrees are left as they are.
 */
export function toCelValue(schema: SchemaNode | undefined, value: unknown): unknown {
  if (value === null || value === undefined || !schema) return value;
  if (typeof value === 'number') {
    const intLike = schema.type === 'integer' || schema['x-kubernetes-int-or-string'] === true;
    return intLike && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => toCelValue(schema.items as SchemaNode | undefined, v));
  if (typeof value !== 'object') return value;
  const props = schema.properties as Record<string, SchemaNode> | undefined;
  const additional = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as SchemaNode) : undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toCelValue(props?.[k] ?? additional, v);
  return out;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
