import { checkClusterInputWith, loadClustersWith, loadClusterWith, type ChartChecks, type ClusterSource, type LoadResult } from '../lib/config/load';
import type { Problem } from '../lib/errors';
import type { ClusterConfigInput } from '../lib/config/schema';
import type { ClusterConfig } from '../lib/config/types';
import { notebookProfileProblems } from './jupyterhub';
import { smokeProblems } from './smoke';

/**
 * Config problems that only show on what the charts render, checked on exactly the objects they build: every
 * notebook profile (charts/jupyterhub.ts) fits a NodePool beside the rules, and once the config loaded every
 * smoke pod (charts/smoke.ts) fits one and the smoke team's Queue and quota admit the smoke RayJob.
 */
export const CHART_CHECKS: ChartChecks = { draft: notebookProfileProblems, loaded: smokeProblems };

/** One cluster: the config checks of lib/config/load.ts plus CHART_CHECKS. What every command loads a cluster with. */
export function loadCluster(source: ClusterSource, cwd: string): LoadResult {
  return loadClusterWith(CHART_CHECKS, source, cwd);
}

/** Every cluster, all problems at once (one ConfigError), with CHART_CHECKS. */
export function loadClusters(sources: readonly ClusterSource[], cwd: string): { configs: ClusterConfig[]; warnings: Problem[] } {
  return loadClustersWith(CHART_CHECKS, sources, cwd);
}

/** The checks that need no lookups (what new-cluster runs on its flags before writing), with the draft chart checks. */
export function checkClusterInput(
  input: unknown,
  file: string,
  expectedName?: string,
): { parsed?: ClusterConfigInput; errors: Problem[]; warnings: Problem[] } {
  return checkClusterInputWith(CHART_CHECKS, input, file, expectedName);
}
