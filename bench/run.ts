/**
 * npm run bench [-- --json] [-- --sizes 3,100] [-- --runs 5] [-- --skip-cdk8s]
 *
 * For each fleet size N (synthetic clusters derived from the examples, see fleet.ts):
 *  - eksai stages in process (load config, build constructs, serialize, write): median ms, objects/s;
 *    validation CPU per object once schemas are compiled and the JIT is warm
 *  - whole process, median wall and CPU (user+sys): `eksai synth` into an empty dist (fresh) and again
 *    over an unchanged dist (rerun), `npx cdk8s synth` (cdk8s's default route: ts-node type-checking
 *    app command, app.synth()), the floor (same objects, js-yaml + write), `eksai validate`, `eksai diff`
 *  - `eksai render --no-write` of the fleet's Helm releases from the chart mirror: cold (empty chart and
 *    render cache; helm already extracted) and warm (every render cached)
 *  - peak RSS of each process (/usr/bin/time when present)
 * Prints a table, or JSON with --json. Not part of `npm test`. On a shared machine trust CPU and ratios
 * within one run more than wall times: writing ~2,000 small files is disk-bound and swings by seconds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { load } from 'js-yaml';
import { synthesize } from '../pipeline/synth';
import { readRegistry } from '../lib/config/load';
import { writeFleetRepo } from './fleet';
import { resolveHelm } from '../pipeline/render/helm';

const ROOT = join(__dirname, '..');
// Schemas for validate: the mirror (absolute, because the fleet runs in another directory).
process.env.EKSAI_SCHEMA_MIRROR = resolve(ROOT, process.env.EKSAI_SCHEMA_MIRROR ?? '../shared/schemas');
const HELP = `Usage: npm run bench [-- --sizes 3,100] [-- --runs 5] [-- --skip-cdk8s] [-- --json]

Benchmarks synthetic fleets of N clusters derived from the examples: eksai's stages in process, and
whole processes (eksai synth into an empty and over an unchanged dist, npx cdk8s synth, the floor,
eksai validate, eksai diff). Not part of npm test.

Options:
  --sizes <n,n...>  fleet sizes (default: 3,100)
  --runs <n>        runs per measurement, median reported (default: 5)
  --skip-cdk8s      do not time npx cdk8s synth (the slowest part)
  --json            print JSON instead of the table
  -h, --help        show this help
`;
const options = {
  json: { type: 'boolean' },
  sizes: { type: 'string', default: '3,100' },
  runs: { type: 'string', default: '5' },
  'skip-cdk8s': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
let parsed: ReturnType<typeof parseArgs<{ options: typeof options }>>;
try {
  parsed = parseArgs({ options });
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n\n${HELP}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write(
    `bench: --sizes must be positive integers separated by commas and --runs a positive integer (got --sizes ${values.sizes} --runs ${values.runs})\n`,
  );
  process.exit(2);
}
// Charts for render: the mirror; the bundled (or the user's) helm resolved once, outside the timings.
process.env.EKSAI_CHART_MIRROR = resolve(ROOT, process.env.EKSAI_CHART_MIRROR ?? '../shared/charts');
process.env.EKSAI_HELM = resolveHelm({ cacheDir: join(ROOT, '.bench', 'helm') }).path;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface ProcessStat {
  readonly wallMs: number;
  /** user + sys CPU of the process (median), when /usr/bin/time is present. */
  readonly cpuMs?: number;
  readonly peakMiB?: number;
}

interface Job {
  readonly cmd: string;
  readonly args: readonly string[];
  /** Untimed preparation before each run. */
  readonly before?: () => void;
}

/**
 * Median wall, median CPU and max peak RSS of each job over `n` rounds. The jobs run interleaved,
 * round by round, so that commands compared with each other see the same machine and disk state.
 */
function timeInterleaved(jobs: readonly Job[], n: number, cwd: string): ProcessStat[] {
  const walls = jobs.map((): number[] => []);
  const cpus = jobs.map((): number[] => []);
  const peaks = jobs.map(() => 0);
  for (let i = 0; i < n; i++) {
    jobs.forEach(({ cmd, args, before }, j) => {
      before?.();
      const t0 = performance.now();
      const r = TIME
        ? spawnSync(TIME, ['-f', '%U %S %M', cmd, ...args], {
            cwd,
            encoding: 'utf8',
            maxBuffer: 1 << 28,
            env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
          })
        : spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
      walls[j]!.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error?.message ?? r.signal}):\n${r.stderr}`);
      if (TIME) {
        const [user, sys, maxKiB] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
        cpus[j]!.push((user! + sys!) * 1000);
        peaks[j] = Math.max(peaks[j]!, maxKiB! / 1024);
      }
    });
  }
  return jobs.map((_, j) => ({ wallMs: median(walls[j]!), cpuMs: TIME ? median(cpus[j]!) : undefined, peakMiB: TIME ? peaks[j] : undefined }));
}

/** Median wall time and max peak RSS of a command over `n` runs. */
function timeProcess(cmd: string, args: string[], n: number, cwd: string, before?: () => void): ProcessStat {
  return timeInterleaved([{ cmd, args, before }], n, cwd)[0]!;
}

interface SizeResult {
  readonly clusters: number;
  readonly objects: number;
  readonly stagesMs: Record<string, number>;
  readonly objectsPerSecond: number;
  readonly stagesPeakMiB: number;
  /** In-process CPU per object of `validate` on the fleet's dist, second run (schemas compiled, JIT warm). */
  readonly validateWarmCpuMsPerObject: number;
  /** The part of it spent reading and parsing the YAML files (wall time of that phase, single-threaded). */
  readonly validateWarmParseMsPerObject: number;
  readonly eksaiSynth: ProcessStat;
  readonly eksaiRerun: ProcessStat;
  readonly cdk8sSynth?: ProcessStat;
  readonly floor: ProcessStat;
  readonly validate: ProcessStat;
  readonly diff: ProcessStat;
  readonly renderCold: ProcessStat;
  readonly renderWarm: ProcessStat;
  readonly ratios: { readonly cdk8sOverEksai?: number; readonly eksaiOverFloor: number };
}

function benchSize(n: number): SizeResult {
  const repo = join(ROOT, '.bench', `fleet-${n}`);
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  writeFleetRepo(repo, n);
  process.stderr.write(`fleet of ${n}: stages...\n`);

  const stagesOut = execFileSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'stages.ts'), repo, String(runs)], {
    encoding: 'utf8',
  });
  const st = JSON.parse(stagesOut) as {
    stages: Record<string, number[]>;
    objects: number;
    maxRssKiB: number;
    validateWarmCpuMs: number;
    validateWarmParseMs: number;
  };
  const stagesMs = Object.fromEntries(Object.entries(st.stages).map(([k, v]) => [k, median(v)]));
  const total = Object.values(stagesMs).reduce((a, b) => a + b, 0);

  // The floor: the exact objects eksai produced, pre-built as JSON, serialized + written.
  const result = synthesize({ cwd: repo, sources: readRegistry(repo), dryRun: true });
  const objects: [string, unknown][] = [];
  for (const [cluster, files] of result.clusters) for (const [path, text] of files) objects.push([`${cluster}/${path}`, load(text)]);
  const objectsFile = join(repo, 'objects.json');
  writeFileSync(objectsFile, JSON.stringify(objects));

  // eksai synth into an empty dist, again over the unchanged dist, and the floor, interleaved.
  process.stderr.write(`fleet of ${n}: eksai synth and floor...\n`);
  const synthArgs = [join(ROOT, 'bin', 'eksai.js'), 'synth', '--cwd', repo, '-q'];
  let trash = 0;
  const [eksaiSynth, eksaiRerun, floor] = timeInterleaved(
    [
      // Moved aside, not deleted: creating ~2,000 files right after unlinking ~2,000 costs up to 2 s
      // of kernel time on this disk, which is the deletion's cost, not the write's.
      {
        cmd: process.execPath,
        args: synthArgs,
        before: () => existsSync(join(repo, 'dist')) && renameSync(join(repo, 'dist'), join(repo, `.trash-${trash++}`)),
      },
      { cmd: process.execPath, args: synthArgs },
      { cmd: process.execPath, args: [join(__dirname, 'floor.js'), objectsFile, join(repo, 'floor-out')] },
    ],
    runs,
    repo,
  ) as [ProcessStat, ProcessStat, ProcessStat];
  for (let i = 0; i < trash; i++) rmSync(join(repo, `.trash-${i}`), { recursive: true, force: true });

  // validate the fleet's dist (whole process: schema loading and compiling included) with its Helm
  // releases rendered, as `eksai validate` does by default: the fleet's repo needs the chart lock for that.
  mkdirSync(join(repo, 'charts'), { recursive: true });
  copyFileSync(join(ROOT, 'charts', 'charts.lock.json'), join(repo, 'charts', 'charts.lock.json'));
  const chartCache = join(repo, '.chart-cache');
  process.env.EKSAI_CHART_CACHE = chartCache;
  process.stderr.write(`fleet of ${n}: eksai validate...\n`);
  const validate = timeProcess(
    process.execPath,
    [join(ROOT, 'bin', 'eksai.js'), 'validate', '--cwd', repo, join(repo, 'dist'), '--format', 'json'],
    runs,
    repo,
  );

  // diff of two fleets: every gpu pool's GPU limit doubled, in a throwaway git repo.
  process.stderr.write(`fleet of ${n}: eksai diff...\n`);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=bench@eksai', '-c', 'user.name=bench', ...args], { cwd: repo, stdio: 'pipe' });
  git('init', '-q');
  git('add', 'dist');
  git('commit', '-qm', 'base');
  for (const cluster of readdirSync(join(repo, 'dist'))) {
    const file = join(repo, 'dist', cluster, 'node-pools', 'NodePool.gpu.yaml');
    if (existsSync(file))
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(/nvidia\.com\/gpu: (\d+)/, (_, g: string) => `nvidia.com/gpu: ${Number(g) * 2}`),
      );
  }
  git('commit', '-qam', 'head');
  const diff = timeProcess(
    process.execPath,
    [join(ROOT, 'bin', 'eksai.js'), 'diff', '--cwd', repo, '--base', 'HEAD~1', '--head', 'HEAD', '--format', 'json'],
    runs,
    repo,
  );

  // render the fleet's Helm releases: cold (empty chart and render cache), then warm. Cold at N = 100 is
  // ~900 helm runs, so it runs once there.
  process.stderr.write(`fleet of ${n}: eksai render (cold, warm)...\n`);
  const renderArgs = [join(ROOT, 'bin', 'eksai.js'), 'render', '--cwd', repo, '--no-write'];
  const renderCold = timeProcess(process.execPath, renderArgs, n >= 100 ? 1 : runs, repo, () => rmSync(chartCache, { recursive: true, force: true }));
  const renderWarm = timeProcess(process.execPath, renderArgs, runs, repo);

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
    validateWarmCpuMsPerObject: st.validateWarmCpuMs / st.objects,
    validateWarmParseMsPerObject: st.validateWarmParseMs / st.objects,
    eksaiSynth,
    eksaiRerun,
    cdk8sSynth,
    floor,
    validate,
    diff,
    renderCold,
    renderWarm,
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
  const p = (s?: ProcessStat) => (s === undefined ? '–' : `${f(s.wallMs)} / ${f(s.cpuMs)} (${m(s.peakMiB)})`);
  const x = (a?: number, b?: number) => (a === undefined || b === undefined ? '–' : `${(a / b).toFixed(1)}×`);
  const lines = [
    `eksai benchmark (median of ${runs} runs; whole-process cells are wall / CPU (peak RSS), node start-up included)`,
    '',
    '| N | objects | load | build | serialize | write | stages peak | eksai synth, empty dist | eksai synth, unchanged dist | cdk8s synth (ts-node) | floor (js-yaml+write) | cdk8s ÷ eksai wall (CPU) | eksai ÷ floor wall (CPU) | validate | validate CPU/object, warm (of it: read + parse YAML) | diff (2 fleets) | render, cold | render, warm |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.clusters} | ${r.objects} | ${f(r.stagesMs.load)} | ${f(r.stagesMs.build)} | ${f(r.stagesMs.serialize)} | ${f(r.stagesMs.write)} | ${m(r.stagesPeakMiB)} | ${p(r.eksaiSynth)} | ${p(r.eksaiRerun)} | ${p(r.cdk8sSynth)} | ${p(r.floor)} | ${x(r.cdk8sSynth?.wallMs, r.eksaiSynth.wallMs)} (${x(r.cdk8sSynth?.cpuMs, r.eksaiSynth.cpuMs)}) | ${x(r.eksaiSynth.wallMs, r.floor.wallMs)} (${x(r.eksaiSynth.cpuMs, r.floor.cpuMs)}) | ${p(r.validate)} | ${r.validateWarmCpuMsPerObject.toFixed(3)} ms (${r.validateWarmParseMsPerObject.toFixed(3)} ms) | ${p(r.diff)} | ${p(r.renderCold)} | ${p(r.renderWarm)} |`,
    ),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
