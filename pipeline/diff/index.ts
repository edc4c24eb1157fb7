import type { SchemaSourceOptions } from '../../lib/schemas/resolve';
import { compareParsed, updatedResources, type DiffResult } from './compare';
import { readDistAtRef, readDistInWorkingTree, resolveRef } from './git';
import { changedCrdKinds, parseRevisions } from './identity';
import { loadKindSchemas } from './listkeys';
import { renderedDiff } from './rendered';
import { transitionRisks } from './transitions';
import { bootstrapResources, bootstrapRisks, bootstrapTeams, readBootstrapInputs } from './bootstrap';

export { compareDist, diffValues, hasChanges, type DiffResult, type FieldChange, type ResourceChange } from './compare';
export { renderDiff, renderMarkdown, renderText, renderJson, MARKDOWN_LIMIT, type DiffFormat } from './render';
export type { Risk, RiskLevel } from './types';

export interface DiffOptions {
  /** Repository root. */
  readonly cwd: string;
  /** Git revision to compare from. */
  readonly base: string;
  /** Git revision to compare to. @default the working tree */
  readonly head?: string;
  /** Where the pinned CRDs come from for transition rules (mirror / cache). */
  readonly schemas?: SchemaSourceOptions;
  /** Render both revisions of every Helm release whose chart or values changed and compare the rendered objects (pipeline/render). @default false */
  readonly render?: boolean;
}

/**
 * Reads dist/ at two revisions (head: a ref or the working tree), parses both (a file with the same bytes
 * once), evaluates the CRD transition rules of every updated resource and compares them.
 */
export async function diffRevisions(options: DiffOptions): Promise<
  DiffResult & {
    readonly timingsMs: { readonly read: number; readonly parse: number; readonly render: number; readonly transitions: number; readonly compare: number };
  }
> {
  const t0 = performance.now();
  const blobs = new Map<string, string>();
  const baseCommit = resolveRef(options.cwd, options.base);
  const headCommit = options.head === undefined ? undefined : resolveRef(options.cwd, options.head);
  const baseFiles = readDistAtRef(options.cwd, baseCommit, 'dist', blobs);
  const headFiles = headCommit === undefined ? readDistInWorkingTree(options.cwd) : readDistAtRef(options.cwd, headCommit, 'dist', blobs);
  const t1 = performance.now();
  let parsed = parseRevisions(baseFiles, headFiles);
  const tr = performance.now();
  const rendered = options.render ? await renderedDiff({ cwd: options.cwd, base: parsed.base, head: parsed.head, baseCommit, headCommit }) : undefined;
  const crdKinds = [
    ...new Set([...changedCrdKinds(parsed.base.resources, parsed.head.resources), ...(rendered ? changedCrdKinds(rendered.base, rendered.head) : [])]),
  ];
  if (crdKinds.length > 0) parsed = parseRevisions(baseFiles, headFiles, 'dist', crdKinds);
  // Rendered objects join the comparison as objects of their release (component `<app> (rendered)`), and each
  // cluster's changed Terraform input as one object of component `bootstrap`.
  const bootstrap = { base: readBootstrapInputs(options.cwd, baseCommit, blobs), head: readBootstrapInputs(options.cwd, headCommit, blobs) };
  const inputs = bootstrapResources(bootstrap.base, bootstrap.head, options.base);
  const base = { resources: new Map([...parsed.base.resources, ...(rendered?.base ?? []), ...inputs.base]), problems: parsed.base.problems };
  const head = { resources: new Map([...parsed.head.resources, ...(rendered?.head ?? []), ...inputs.head]), problems: parsed.head.problems };
  const t2 = performance.now();
  const updates = updatedResources(base, head);
  const transitions = await transitionRisks(updates, options.schemas);
  const kinds = await loadKindSchemas(
    updates.map((u) => u.after),
    options.schemas,
  );
  const t3 = performance.now();
  const result = compareParsed(
    base,
    head,
    { base: options.base, head: options.head ?? 'working tree' },
    {
      risks: [...transitions.risks, ...bootstrapRisks(bootstrapTeams(bootstrap.base), bootstrapTeams(bootstrap.head))],
      problems: [...transitions.problems, ...kinds.problems, ...(rendered?.problems ?? []), ...inputs.problems],
      schemas: kinds.schemas,
    },
  );
  const t4 = performance.now();
  const ms = (a: number, b: number) => Math.round(b - a);
  return { ...result, timingsMs: { read: ms(t0, t1), parse: ms(t1, tr), render: ms(tr, t2), transitions: ms(t2, t3), compare: ms(t3, t4) } };
}
