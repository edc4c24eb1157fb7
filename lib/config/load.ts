import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConfigError, EnvironmentError, type Problem } from '../errors';
import { factsFromLookups, readLookups } from '../lookups/file';
import { amiProblems, nodeImageInputs } from '../lookups/amis';
import { allowedKeysAt, closest, formatPath, valueAt } from './paths';
import { clusterSchema, type ClusterConfigInput } from './schema';
import { normalize } from './normalize';
import { runRules } from './rules';
import { smokeProblems } from '../../charts/smoke';
import type { ClusterConfig } from './types';

/** One cluster file as the registry hands it over. */
export interface ClusterSource {
  /** Registry key = file name without `.ts` = expected cluster name. */
  readonly name: string;
  /** Path relative to the repo root, for messages. */
  readonly file: string;
  /** What the file exports (not trusted: checked here). */
  readonly input: unknown;
  /** Parsed lookups document; when absent it is read from clusters/<name>.lookups.json under cwd. */
  readonly lookups?: unknown;
}

export type LoadResult =
  | { readonly config: ClusterConfig; readonly warnings: readonly Problem[] }
  | { readonly errors: readonly Problem[]; readonly warnings: readonly Problem[] };

function fixFor(issue: z.core.$ZodIssue, input: unknown): string | undefined {
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(clusterSchema, issue.path);
    const guesses = issue.keys.map((k) => closest(k, allowed)).filter((g): g is string => g !== undefined);
    if (guesses.length > 0) return `did you mean ${guesses.map((g) => `'${g}'`).join(', ')}?`;
    return allowed.length > 0 ? `remove it; allowed keys here: ${allowed.join(', ')}` : 'remove it';
  }
  if (issue.code === 'invalid_value') return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) return 'add it';
  if (issue.code === 'too_small' || issue.code === 'too_big') return 'change the value to fit the bound';
  return undefined;
}

/** zod issues → problems with file, readable path, value and fix. */
function shapeProblems(file: string, input: unknown, error: z.ZodError): Problem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      const base = formatPath(input, issue.path);
      return {
        file,
        path: keys.length === 1 ? (base ? `${base}.${keys[0]}` : keys[0]!) : base,
        message: keys.length === 1 ? 'is not a known key' : `has unknown keys ${keys.map((k) => `'${k}'`).join(', ')}`,
        fix: fixFor(issue, input),
      };
    }
    const value = valueAt(input, issue.path);
    const message = issue.code === 'invalid_type' && value === undefined ? 'is required' : issue.message.replace(/^Invalid input: /, '').replace(/^./, (c) => c.toLowerCase());
    const p: Problem = { file, path: formatPath(input, issue.path), message, fix: fixFor(issue, input) };
    return value === undefined ? p : { ...p, value };
  });
}

/** Read → parse → rules → lookups → normalise for one cluster; never throws for bad input. */
export function loadCluster(source: ClusterSource, cwd: string): LoadResult {
  const warnings: Problem[] = [];
  const parsed = clusterSchema.safeParse(source.input);
  if (!parsed.success) {
    return { errors: shapeProblems(source.file, source.input, parsed.error), warnings };
  }
  const input: ClusterConfigInput = parsed.data;
  const errors: Problem[] = [];
  runRules({ input, file: source.file, expectedName: source.name, errors, warnings });
  const doc = source.lookups ?? readLookups(cwd, input.name, errors);
  const facts = doc === undefined ? undefined : factsFromLookups(input.name, input.region, doc, errors);
  // Every pinned AMI alias must be verified by `eksai lookup` for this Kubernetes version (issue 14 item 5).
  if (doc !== undefined) amiProblems(input.name, source.file, nodeImageInputs(input), doc, errors);
  if (facts && input.storage?.efs && !facts.parameters['storage/efs-file-system-id']) {
    errors.push({
      file: `clusters/${input.name}.lookups.json`,
      path: 'parameters.storage/efs-file-system-id',
      message: `is missing: storage.efs is on in ${source.file} but SSM parameter /eksai/${input.name}/storage/efs-file-system-id was not found`,
      fix: `write the EFS file system id to that parameter and run \`eksai lookup --cluster ${input.name}\`, or set storage.efs to false`,
    });
  }
  if (errors.length > 0 || facts === undefined) return { errors, warnings };
  const config = normalize(input, source.file, facts);
  // Rules that need the normalised config (pools with their kind defaults): every smoke pod must fit a NodePool.
  const late = smokeProblems(config);
  warnings.push(...late.warnings);
  if (late.errors.length > 0) return { errors: late.errors, warnings };
  return { config, warnings };
}

/** Loads every cluster; collects the problems of all of them and throws one ConfigError if any. */
export function loadClusters(sources: readonly ClusterSource[], cwd: string): { configs: ClusterConfig[]; warnings: Problem[] } {
  const configs: ClusterConfig[] = [];
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  for (const source of sources) {
    const result = loadCluster(source, cwd);
    warnings.push(...result.warnings);
    if ('config' in result) configs.push(result.config);
    else errors.push(...result.errors);
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return { configs, warnings };
}

/**
 * The cluster registry of a repo: `clusters/index.ts` exports `clusters`, a record from cluster
 * name to its config. Loaded with require (bin/eksai.js and ts-node register TypeScript).
 */
export function readRegistry(cwd: string): ClusterSource[] {
  const file = join(cwd, 'clusters', 'index.ts');
  if (!existsSync(file)) {
    throw new EnvironmentError(`no cluster registry at ${file}: run eksai from the repository root (or pass --cwd), or create one with \`eksai new-cluster\``);
  }
  let mod: { clusters?: Record<string, unknown> };
  try {
    mod = require(file) as typeof mod;
  } catch (err) {
    throw new ConfigError([{ file: 'clusters/index.ts', path: '', message: `cannot be loaded: ${(err as Error).message.split('\n')[0]}`, fix: 'fix the TypeScript error (npm run typecheck shows all of them)' }]);
  }
  if (!mod.clusters || typeof mod.clusters !== 'object') {
    throw new ConfigError([{ file: 'clusters/index.ts', path: 'clusters', message: 'must be exported as a record of cluster name to config', fix: "export const clusters = { dev, prod };" }]);
  }
  return Object.keys(mod.clusters)
    .sort()
    .map((name) => ({ name, file: `clusters/${name}.ts`, input: mod.clusters![name] }));
}
