import { resolve } from 'node:path';
import { UsageError, type Problem } from '../../lib/errors';
import { readRegistry, type ClusterSource } from '../../lib/config/load';
import { loadClusters } from '../../charts/checks';
import { buildCluster } from './build';
import { renderCluster, type RenderedFiles } from './render';
import { writeDist } from './write';

export interface SynthOptions {
  /** Repository root. @default process.cwd() */
  readonly cwd?: string;
  /** Cluster sources; @default the registry clusters/index.ts under cwd */
  readonly sources?: readonly ClusterSource[];
  /** Only these clusters (others in dist are left alone). @default all */
  readonly only?: readonly string[];
  /** Output directory. @default <cwd>/dist */
  readonly outdir?: string;
  /** Build and render but write nothing (used by check and diff). @default false */
  readonly dryRun?: boolean;
  /** Called once when another synth is writing the same outdir and this one waits for its lock. */
  readonly onWait?: (holder: string) => void;
}

export interface SynthResult {
  /** Rendered files per cluster name, sorted. */
  readonly clusters: ReadonlyMap<string, RenderedFiles>;
  readonly warnings: readonly Problem[];
  readonly files: number;
  readonly objects: number;
  readonly removedClusters: readonly string[];
  /** What was repaired of an interrupted synth before writing (pipeline/synth/write.ts), one line each. */
  readonly recovered: readonly string[];
  readonly outdir: string;
  /** Milliseconds per stage. */
  readonly timings: { readonly load: number; readonly build: number; readonly render: number; readonly write: number };
}

/**
 * load configs → build constructs → render YAML → write dist atomically. Throws ConfigError with
 * every problem of every cluster before anything is written.
 */
export function synthesize(options: SynthOptions = {}): SynthResult {
  const cwd = resolve(options.cwd ?? process.cwd());
  const outdir = resolve(cwd, options.outdir ?? 'dist');
  const t0 = performance.now();
  let sources = options.sources ?? readRegistry(cwd);
  if (options.only && options.only.length > 0) {
    const unknown = options.only.filter((n) => !sources.some((s) => s.name === n));
    if (unknown.length > 0) {
      throw new UsageError(`unknown cluster ${unknown.map((n) => `'${n}'`).join(', ')}: known clusters are ${sources.map((s) => s.name).join(', ')}`);
    }
    sources = sources.filter((s) => options.only!.includes(s.name));
  }
  const { configs, warnings } = loadClusters(sources, cwd);
  const t1 = performance.now();
  const built = configs.map((c) => buildCluster(c));
  const t2 = performance.now();
  const clusters = new Map<string, RenderedFiles>();
  let objects = 0;
  for (const b of built) {
    clusters.set(b.cluster.name, renderCluster(b));
    for (const objs of b.charts.values()) objects += objs.length;
  }
  const t3 = performance.now();
  let files = 0;
  for (const f of clusters.values()) files += f.size;
  let removedClusters: readonly string[] = [];
  let recovered: readonly string[] = [];
  if (!options.dryRun) {
    ({ removedClusters, recovered } = writeDist(clusters, { outdir, prune: !options.only || options.only.length === 0, onWait: options.onWait }));
  }
  const t4 = performance.now();
  return {
    clusters,
    warnings,
    files,
    objects,
    removedClusters,
    recovered,
    outdir,
    timings: { load: t1 - t0, build: t2 - t1, render: t3 - t2, write: t4 - t3 },
  };
}
