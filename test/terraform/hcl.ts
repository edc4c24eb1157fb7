import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { load as loadYaml } from 'js-yaml';

/**
 * terraform/bootstrap parsed with hcl2json (Terraform cannot run here: no registry access), and the
 * committed dist it reads from. Shared by the contract tests of this folder.
 */

export const REPO_ROOT = join(__dirname, '..', '..');
export const BOOTSTRAP_DIR = join(REPO_ROOT, 'terraform', 'bootstrap');
export const DIST = join(REPO_ROOT, 'dist');

export type Block = Record<string, any>;
export interface Tf {
  readonly resource: Record<string, Record<string, Block[]>>;
  readonly data: Record<string, Record<string, Block[]>>;
  readonly module: Record<string, Block[]>;
  readonly variable: Record<string, Block[]>;
  readonly output: Record<string, Block[]>;
  readonly terraform: Block[];
  /** Every `locals` block merged. */
  readonly locals: Block;
}

/** Every .tf file of the root, merged the way Terraform merges them (one namespace per kind). */
export async function loadBootstrap(dir = BOOTSTRAP_DIR): Promise<Tf> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const merged: Record<string, any> = {};
  for (const f of files) {
    const doc = await parse(f, readFileSync(join(dir, f), 'utf8'));
    for (const [kind, value] of Object.entries(doc)) {
      if (Array.isArray(value)) merged[kind] = [...(merged[kind] ?? []), ...value];
      else {
        const into = (merged[kind] ??= {}) as Record<string, any>;
        for (const [t, v] of Object.entries(value as Block)) into[t] = Array.isArray(v) ? [...(into[t] ?? []), ...v] : { ...(into[t] ?? {}), ...(v as Block) };
      }
    }
  }
  return { resource: {}, data: {}, module: {}, variable: {}, output: {}, terraform: [], ...merged, locals: Object.assign({}, ...(merged.locals ?? [])) };
}

/** One resource block by type and name. */
export function resource(tf: Tf, type: string, name: string): Block {
  const b = tf.resource[type]?.[name]?.[0];
  if (!b) throw new Error(`terraform/bootstrap: resource ${type}.${name} not found`);
  return b;
}

/** One module block by name. */
export function moduleBlock(tf: Tf, name: string): Block {
  const b = tf.module[name]?.[0];
  if (!b) throw new Error(`terraform/bootstrap: module ${name} not found`);
  return b;
}

/** `${local.x}` → the value of local x. */
export function localOf(tf: Tf, expr: unknown): unknown {
  const m = /^\$\{local\.(\w+)\}$/.exec(String(expr));
  if (!m) throw new Error(`expected a \${local.*} reference, got ${String(expr)}`);
  if (!(m[1]! in tf.locals)) throw new Error(`terraform/bootstrap: local.${m[1]} is not defined`);
  return tf.locals[m[1]!];
}

/**
 * Resolves a string template of the root for one cluster: `${var.cluster_name}` and `${local.x}` where
 * local x is itself such a template. Anything else left in the result fails the caller's comparison.
 */
export function resolveName(tf: Tf, template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{(var|local)\.(\w+)\}/g, (whole, kind: string, name: string) => {
    if (kind === 'var') return vars[name] ?? whole;
    const v = tf.locals[name];
    return typeof v === 'string' ? resolveName(tf, v, vars) : whole;
  });
}

/** The `${a.b}` references of a depends_on list, without `${}`. */
export function dependsOn(b: Block): string[] {
  return ((b.depends_on as string[] | undefined) ?? []).map((d) => d.replace(/^\$\{(.*)\}$/, '$1'));
}

/** Cluster folders of the committed dist. */
export function distClusters(): string[] {
  return readdirSync(DIST, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Every YAML object of one cluster's dist, with its path relative to dist/<cluster>/. */
export function distObjects(cluster: string): { path: string; obj: Block }[] {
  const out: { path: string; obj: Block }[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else if (e.name.endsWith('.yaml')) out.push({ path: r, obj: loadYaml(readFileSync(join(dir, e.name), 'utf8')) as Block });
    }
  };
  walk(join(DIST, cluster), '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** dist/<cluster>/bootstrap/terraform.json, parsed. */
export function bootstrapInputOf(cluster: string): Block {
  return JSON.parse(readFileSync(join(DIST, cluster, 'bootstrap', 'terraform.json'), 'utf8')) as Block;
}
