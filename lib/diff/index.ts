import { compareDist, type DiffResult } from './compare';
import { readDistAtRef, readDistInWorkingTree, resolveRef } from './git';

export { compareDist, diffValues, hasChanges, type DiffResult, type FieldChange, type ResourceChange } from './compare';
export { renderDiff, renderMarkdown, renderText, renderJson, MARKDOWN_LIMIT, type DiffFormat } from './render';
export type { Risk, RiskLevel } from './risks';

export interface DiffOptions {
  /** Repository root. */
  readonly cwd: string;
  /** Git revision to compare from. */
  readonly base: string;
  /** Git revision to compare to. @default the working tree */
  readonly head?: string;
}

/** Reads dist/ at two revisions (head: a ref or the working tree) and compares them. */
export function diffRevisions(options: DiffOptions): DiffResult & { readonly timingsMs: { readonly read: number; readonly compare: number } } {
  const t0 = performance.now();
  const baseFiles = readDistAtRef(options.cwd, resolveRef(options.cwd, options.base));
  const headFiles = options.head === undefined ? readDistInWorkingTree(options.cwd) : readDistAtRef(options.cwd, resolveRef(options.cwd, options.head));
  const t1 = performance.now();
  const result = compareDist(baseFiles, headFiles, { base: options.base, head: options.head ?? 'working tree' });
  const t2 = performance.now();
  return { ...result, timingsMs: { read: Math.round(t1 - t0), compare: Math.round(t2 - t1) } };
}
