/**
 * `helm template` exactly as Argo CD 3.5.1's repo-server runs it (util/helm/cmd.go template(),
 * reposerver/repository/repository.go helmTemplate()):
 *   helm template <chart> --name-template <release> --namespace <ns> --kube-version <v>
 *     --values <file with the Application's values> --api-versions <each> --include-crds
 * then split like gitops-engine's kube.SplitYAML (empty documents dropped, `kind: List` flattened).
 * Hooks stay (Argo CD maps helm.sh/hook to its own hooks); test hooks (`helm.sh/hook: test…`) are dropped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { EnvironmentError } from '../../lib/errors';
import { runHelm } from './charts';

export type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TemplateInput {
  readonly chartDir: string;
  readonly releaseName: string;
  readonly namespace: string;
  readonly kubeVersion: string;
  readonly values: string;
  readonly apiVersions: readonly string[];
  /** For messages: `dev/cilium (dist/dev/apps/Application.cilium.yaml)`. */
  readonly label: string;
}

/** The helm arguments, in Argo CD's order (the values file path is filled in by runTemplate). */
export function templateArgs(input: TemplateInput, valuesFile: string): string[] {
  const args = ['template', input.chartDir, '--name-template', input.releaseName];
  if (input.namespace) args.push('--namespace', input.namespace);
  if (input.kubeVersion) args.push('--kube-version', input.kubeVersion);
  if (input.values) args.push('--values', valuesFile);
  for (const v of input.apiVersions) args.push('--api-versions', v);
  args.push('--include-crds');
  return args;
}

function isTestHook(o: Obj): boolean {
  const md = isObj(o.metadata) ? o.metadata : {};
  const hook = isObj(md.annotations) ? md.annotations['helm.sh/hook'] : undefined;
  return typeof hook === 'string' && hook.split(',').some((h) => h.trim().startsWith('test'));
}

/** helm template's stdout → objects (Lists flattened, test hooks dropped). */
export function splitManifests(text: string, label: string): Obj[] {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (err) {
    throw new EnvironmentError(`${label}: helm template printed invalid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const out: Obj[] = [];
  const add = (doc: unknown) => {
    if (!isObj(doc)) return;
    if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
      for (const item of doc.items) add(item);
      return;
    }
    if (!isTestHook(doc)) out.push(doc);
  };
  for (const doc of docs) add(doc);
  return out;
}

/** Runs helm template once; returns its stdout. */
export async function runTemplate(helm: string, env: NodeJS.ProcessEnv, input: TemplateInput, tmpRoot: string): Promise<string> {
  const dir = mkdtempSync(join(tmpRoot, 'values-'));
  try {
    const valuesFile = join(dir, 'values.yaml');
    if (input.values) writeFileSync(valuesFile, input.values);
    try {
      return await runHelm(helm, templateArgs(input, valuesFile), env);
    } catch (err) {
      const msg = (err as Error).message.replace(/(--api-versions \S+ )+/g, '<api versions> ');
      throw new EnvironmentError(`${input.label}: helm template failed: ${msg.split('\n').slice(0, 5).join('; ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
