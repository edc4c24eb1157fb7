import type { SchemaSourceOptions } from '../schemas/resolve';
import { compareParsed, updatedResources, type DiffResult } from './compare';
import { readDistAtRef, readDistInWorkingTree, resolveRef } from './git';
import { parseRevisions } from './identity';
import { loadKindSchemas } from './listkeys';
import { transitionRisks } from './transitions';

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
}

/**
 * Reads dist/ at two revisions (head: a ref or the working tree), parses both (a file with the same bytes
 * once), evaluates the CRD transition rules of every updated resource and compares them.
 */
export async function diffRevisions(options: DiffOptions): Promise<DiffResult & { readonly timingsMs: { readonly read: number; readonly parse: number; readonly transitions: number; readonly compare: number } }> {
  const t0 = performance.now();
  const blobs = new Map<string, string>();
  const baseFiles = readDistAtRef(options.cwd, resolveRef(options.cwd, options.base), 'dist', blobs);
  const headFiles = options.head === undefined ? readDistInWorkingTree(options.cwd) : readDistAtRef(options.cwd, resolveRef(options.cwd, options.head), 'dist', blobs);
  const t1 = performance.now();
  const { base, head } = parseRevisions(baseFiles, headFiles);
  const t2 = performance.now();
  const updates = updatedResources(base, head);
  const transitions = await transitionRisks(updates, options.schemas);
  const kinds = await loadKindSchemas(updates.map((u) => u.after), options.schemas);
  const t3 = performance.now();
  const result = compareParsed(base, head, { base: options.base, head: options.head ?? 'working tree' }, { risks: transitions.risks, problems: [...transitions.problems, ...kinds.problems], schemas: kinds.schemas });
  const t4 = performance.now();
  const ms = (a: number, b: number) => Math.round(b - a);
  return { ...result, timingsMs: { read: ms(t0, t1), parse: ms(t1, t2), transitions: ms(t2, t3), compare: ms(t3, t4) } };
}
