/**
 * Child process of the benchmark: runs eksai's pipeline stage by stage on a fleet repo `runs` times
 * and prints JSON {stages: {name: ms[]}, objects, maxRssKiB}. A fresh process per measurement keeps
 * peak RSS honest.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusters, readRegistry } from '../lib/config/load';
import { buildCluster } from '../lib/synth/build';
import { renderCluster, type RenderedFiles } from '../lib/synth/render';
import { writeDist } from '../lib/synth/write';

const [repo, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? '3');
const stages: Record<string, number[]> = { load: [], build: [], serialize: [], write: [] };
let objects = 0;
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const { configs } = loadClusters(readRegistry(repo!), repo!);
  const t1 = performance.now();
  const built = configs.map((c) => buildCluster(c));
  const t2 = performance.now();
  const rendered = new Map<string, RenderedFiles>();
  objects = 0;
  for (const b of built) {
    rendered.set(b.cluster.name, renderCluster(b));
    for (const o of b.charts.values()) objects += o.length;
  }
  const t3 = performance.now();
  const out = join(repo!, 'dist-stages');
  writeDist(rendered, { outdir: out, prune: true });
  const t4 = performance.now();
  rmSync(out, { recursive: true, force: true });
  stages.load!.push(t1 - t0);
  stages.build!.push(t2 - t1);
  stages.serialize!.push(t3 - t2);
  stages.write!.push(t4 - t3);
}
process.stdout.write(JSON.stringify({ stages, objects, maxRssKiB: process.resourceUsage().maxRSS }));
