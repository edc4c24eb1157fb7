/**
 * Child process of the benchmark: runs eksai's pipeline stage by stage on a fleet repo `runs` times
 * (writing into an empty folder each time), then validates the result twice, timing the second run
 * (CPU per object once schemas are compiled and the JIT is warm). Prints JSON {stages: {name: ms[]},
 * objects, maxRssKiB (of the synth stages), validateWarmCpuMs}. A fresh process per measurement keeps
 * peak RSS honest.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readRegistry } from '../lib/config/load';
import { loadClusters } from '../charts/checks';
import { buildCluster } from '../pipeline/synth/build';
import { renderCluster, type RenderedFiles } from '../pipeline/synth/render';
import { writeDist } from '../pipeline/synth/write';
import { validate } from '../pipeline/validate';

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
  rmSync(out, { recursive: true, force: true });
  const t4 = performance.now();
  writeDist(rendered, { outdir: out, prune: true });
  const t5 = performance.now();
  stages.load!.push(t1 - t0);
  stages.build!.push(t2 - t1);
  stages.serialize!.push(t3 - t2);
  stages.write!.push(t5 - t4);
}
// Validation of the written dist: the first run compiles schemas and warms the JIT, the second is timed.
const maxRssKiB = process.resourceUsage().maxRSS;
(async () => {
  const out = join(repo!, 'dist-stages');
  await validate({ cwd: repo!, paths: [out] });
  const cpu0 = process.cpuUsage();
  const warm = await validate({ cwd: repo!, paths: [out] });
  const cpu = process.cpuUsage(cpu0);
  rmSync(out, { recursive: true, force: true });
  process.stdout.write(
    JSON.stringify({ stages, objects, maxRssKiB, validateWarmCpuMs: (cpu.user + cpu.system) / 1000, validateWarmParseMs: warm.timingsMs.parse ?? 0 }),
  );
})().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exitCode = 1;
});
