/**
 * npm run bench [-- --json] [-- --sizes 3,100] [-- --runs 5]
 *
 * For each fleet size N (synthetic clusters derived from the examples, see fleet.ts):
 *  - eksai stages in process (load config, build constructs, serialize, write): median ms, objects/s
 *  - whole process, median wall: `eksai synth` (our route), `npx cdk8s synth` (cdk8s's default route:
 *    ts-node type-checking app command, app.synth()), and the floor (same objects, js-yaml + write)
 *  - peak RSS of each process (/usr/bin/time when present)
 * Prints a table, or JSON with --json. Not part of `npm test`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { synthesize } from '../lib/synth';
import { readRegistry } from '../lib/config/load';
import { writeFleetRepo } from './fleet';

const ROOT = join(__dirname, '..');
// Schemas for validate: the mirror (absolute, because the fleet runs in another directory).
process.env.EKSAI_SCHEMA_MIRROR = resolve(ROOT, process.env.EKSAI_SCHEMA_MIRROR ?? '../shared/schemas');
const { values } = parseArgs({ options: { json: { type: 'boolean' }, sizes: { type: 'string', default: '3,100' }, runs: { type: 'string', default: '5' }, 'skip-cdk8s': { type: 'boolean' } } });
const sizes = values.sizes!.split(',').map(Number);
const runs = Number(values.runs);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface ProcessStat {
  readonly wallMs: number;
  readonly peakMiB?: number;
}

/** Median wall time and max peak RSS of a command over `n` runs. */
function timeProcess(cmd: string, args: string[], n: number, cwd: string, before?: () => void): ProcessStat {
  const walls: number[] = [];
  let peak = 0;
  for (let i = 0; i < n; i++) {
    before?.();
    const t0 = performance.now();
    const r = TIME
      ? spawnSync(TIME, ['-f', '%M', cmd, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } })
      : spawnSync(cmd, args, { cwd, encoding: 'utf8' });
    walls.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
    if (TIME) peak = Math.max(peak, Number(r.stderr.trim().split('\n').pop()) / 1024);
  }
  return { wallMs: median(walls), peakMiB: TIME ? peak : undefined };
}

interface SizeResult {
  readonly clusters: number;
  readonly objects: number;
  readonly stagesMs: Record<string, number>;
  readonly objectsPerSecond: number;
  readonly stagesPeakMiB: number;
  readonly eksaiSynth: ProcessStat;
  readonly cdk8sSynth?: ProcessStat;
  readonly floor: ProcessStat;
  readonly validate: ProcessStat;
  readonly diff: ProcessStat;
  readonly ratios: { readonly cdk8sOverEksai?: number; readonly eksaiOverFloor: number };
}

function benchSize(n: number): SizeResult {
  const repo = join(ROOT, '.bench', `fleet-${n}`);
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  writeFleetRepo(repo, n);
  process.stderr.write(`fleet of ${n}: stages...\n`);

  const stagesOut = execFileSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'stages.ts'), repo, String(runs)], { encoding: 'utf8' });
  const st = JSON.parse(stagesOut) as { stages: Record<string, number[]>; objects: number; maxRssKiB: number };
  const stagesMs = Object.fromEntries(Object.entries(st.stages).map(([k, v]) => [k, median(v)]));
  const total = Object.values(stagesMs).reduce((a, b) => a + b, 0);

  process.stderr.write(`fleet of ${n}: eksai synth...\n`);
  const eksaiSynth = timeProcess(process.execPath, [join(ROOT, 'bin', 'eksai.js'), 'synth', '--cwd', repo, '-q'], runs, repo);

  // The floor: the exact objects eksai produced, pre-built as JSON, serialized + written.
  const result = synthesize({ cwd: repo, sources: readRegistry(repo), dryRun: true });
  const { load } = require('js-yaml') as typeof import('js-yaml');
  const objects: [string, unknown][] = [];
  for (const [cluster, files] of result.clusters) for (const [path, text] of files) objects.push([`${cluster}/${path}`, load(text)]);
  const objectsFile = join(repo, 'objects.json');
  writeFileSync(objectsFile, JSON.stringify(objects));
  process.stderr.write(`fleet of ${n}: floor...\n`);
  const floor = timeProcess(process.execPath, [join(__dirname, 'floor.js'), objectsFile, join(repo, 'floor-out')], runs, repo);

  // validate the fleet's dist (whole process: schema loading and compiling included).
  process.stderr.write(`fleet of ${n}: eksai validate...\n`);
  const validate = timeProcess(process.execPath, [join(ROOT, 'bin', 'eksai.js'), 'validate', '--cwd', repo, join(repo, 'dist'), '--format', 'json'], runs, repo);

  // diff of two fleets: every gpu pool's GPU limit doubled, in a throwaway git repo.
  process.stderr.write(`fleet of ${n}: eksai diff...\n`);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=bench@eksai', '-c', 'user.name=bench', ...args], { cwd: repo, stdio: 'pipe' });
  git('init', '-q');
  git('add', 'dist');
  git('commit', '-qm', 'base');
  for (const cluster of readdirSync(join(repo, 'dist'))) {
    const file = join(repo, 'dist', cluster, 'node-pools', 'NodePool.gpu.yaml');
    if (existsSync(file)) writeFileSync(file, readFileSync(file, 'utf8').replace(/nvidia\.com\/gpu: (\d+)/, (_, g: string) => `nvidia.com/gpu: ${Number(g) * 2}`));
  }
  git('commit', '-qam', 'head');
  const diff = timeProcess(process.execPath, [join(ROOT, 'bin', 'eksai.js'), 'diff', '--cwd', repo, '--base', 'HEAD~1', '--head', 'HEAD', '--format', 'json'], runs, repo);

  let cdk8sSynth: ProcessStat | undefined;
  if (!values['skip-cdk8s']) {
    process.stderr.write(`fleet of ${n}: npx cdk8s synth (ts-node)...\n`);
    copyFileSync(join(__dirname, 'templates', 'cdk8s-main.ts'), join(repo, 'main.ts'));
    writeFileSync(join(repo, 'cdk8s.yaml'), 'language: typescript\napp: npx ts-node main.ts\noutput: cdk8s-dist\n');
    cdk8sSynth = timeProcess('npx', ['cdk8s', '--no-check-upgrade', 'synth'], Math.min(runs, 3), repo);
  }
  return {
    clusters: n,
    objects: st.objects,
    stagesMs,
    objectsPerSecond: st.objects / (total / 1000),
    stagesPeakMiB: st.maxRssKiB / 1024,
    eksaiSynth,
    cdk8sSynth,
    floor,
    validate,
    diff,
    ratios: { cdk8sOverEksai: cdk8sSynth ? cdk8sSynth.wallMs / eksaiSynth.wallMs : undefined, eksaiOverFloor: eksaiSynth.wallMs / floor.wallMs },
  };
}

const results = sizes.map(benchSize);
rmSync(join(ROOT, '.bench'), { recursive: true, force: true });
if (values.json) {
  process.stdout.write(`${JSON.stringify({ runs, results }, null, 2)}\n`);
} else {
  const f = (ms?: number) => (ms === undefined ? '–' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
  const m = (mib?: number) => (mib === undefined ? '–' : `${mib.toFixed(0)} MiB`);
  const lines = [
    `eksai benchmark (median of ${runs} runs; whole-process rows include node start-up)`,
    '',
    '| N | objects | load | build | serialize | write | objects/s | stages peak | eksai synth | cdk8s synth (ts-node) | floor (js-yaml+write) | cdk8s ÷ eksai | eksai ÷ floor | validate | diff (2 fleets) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.clusters} | ${r.objects} | ${f(r.stagesMs.load)} | ${f(r.stagesMs.build)} | ${f(r.stagesMs.serialize)} | ${f(r.stagesMs.write)} | ${r.objectsPerSecond.toFixed(0)} | ${m(r.stagesPeakMiB)} | ${f(r.eksaiSynth.wallMs)} (${m(r.eksaiSynth.peakMiB)}) | ${f(r.cdk8sSynth?.wallMs)} (${m(r.cdk8sSynth?.peakMiB)}) | ${f(r.floor.wallMs)} (${m(r.floor.peakMiB)}) | ${r.ratios.cdk8sOverEksai?.toFixed(1) ?? '–'}× | ${r.ratios.eksaiOverFloor.toFixed(1)}× | ${f(r.validate.wallMs)} (${m(r.validate.peakMiB)}) | ${f(r.diff.wallMs)} (${m(r.diff.peakMiB)}) |`,
    ),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
