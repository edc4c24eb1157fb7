import { ConfigError, UsageError, type Problem } from '../errors';
import type { NodeImageInputs } from '../lookups/amis';
import { lookupsRelPath } from '../lookups/file';
import { loadClusterWith, NO_CHART_CHECKS, readRegistry } from './load';
import { nodeImageInputs } from './node-images';
import { clusterSchema } from './schema';

/** What `eksai lookup` needs of a cluster's config (lib/lookups/ssm.ts lookup's options). */
export interface LookupTarget {
  readonly region: string;
  readonly nodes: NodeImageInputs;
  readonly clusterFile: string;
  /** The lookups rules of loadClusterWith over a new lookups document: its problems in clusters/<name>.lookups.json. */
  readonly verify: (doc: unknown) => readonly Problem[];
}

/** Region and AMI inputs of a cluster, from its config in clusters/index.ts. */
export function lookupTarget(cwd: string, cluster: string): LookupTarget {
  const sources = readRegistry(cwd);
  const source = sources.find((s) => s.name === cluster);
  if (!source) {
    const known = sources.map((s) => s.name).join(', ');
    throw new UsageError(
      `unknown cluster '${cluster}': clusters/index.ts has ${known || 'no clusters'}; pass one of them or add it with \`eksai new-cluster\``,
    );
  }
  const region = (source.input as { region?: unknown } | null)?.region;
  if (typeof region !== 'string' || region === '') {
    throw new ConfigError([
      { file: source.file, path: 'region', message: 'is required to read SSM parameters', value: region, fix: "set region, e.g. region: 'us-west-2'" },
    ]);
  }
  const parsed = clusterSchema.safeParse(source.input);
  if (!parsed.success) {
    throw new ConfigError([
      {
        file: source.file,
        path: '',
        message: 'does not pass the config shape check, so its AMI aliases cannot be resolved',
        fix: `run \`eksai synth --cluster ${cluster}\` to see every problem, fix them, then rerun lookup`,
      },
    ]);
  }
  const nodes = nodeImageInputs(parsed.data);
  const file = lookupsRelPath(cluster);
  const verify = (doc: unknown): readonly Problem[] => {
    // Only the lookups file's problems are kept: what the charts render is synth's concern, not lookup's.
    const loaded = loadClusterWith(NO_CHART_CHECKS, { ...source, lookups: doc }, cwd);
    return 'errors' in loaded ? loaded.errors.filter((p) => p.file === file) : [];
  };
  return { region, nodes, clusterFile: source.file, verify };
}
