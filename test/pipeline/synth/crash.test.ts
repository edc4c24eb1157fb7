import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CRASH_STEPS } from '../../../pipeline/synth/faults';
import { acquireLock } from '../../../pipeline/synth/lock';
import { MARKER, markerText } from '../../../pipeline/synth/owned';
import { listFiles } from '../../../pipeline/validate';
import { synthesize } from '../../../pipeline/synth';
import { minimalInput, REPO, source, tempRepo } from '../../helpers';

/**
 * Kills a real `eksai synth` process (SIGKILL from inside, EKSAI_TEST_CRASH_AT, pipeline/synth/faults.ts)
 * at every step of its write, then asserts that every cluster folder is complete (old or new) and
 * that the next run finishes the swap and leaves nothing behind.
 */
type Tree = Record<string, string>;

function readTree(dir: string): Tree | undefined {
  if (!existsSync(dir)) return undefined;
  const out: Tree = {};
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else out[`${prefix}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

const run = (repo: string, args: readonly string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(REPO, 'bin', 'eksai.js'), ...args, '--cwd', repo], { encoding: 'utf8', env: { ...process.env, ...env } });

const input = (name: string, gpu = 2) =>
  minimalInput({
    name,
    karpenter: {
      ...minimalInput().karpenter,
      nodePools: [
        { name: 'general', kind: 'cpu', limits: { cpu: 100 } },
        { name: 'gpu', kind: 'gpu', limits: { gpu } },
      ],
    },
  }) as unknown as Record<string, unknown>;
// v1: a, b, c. v2: a changed, b unchanged, c removed, d added.
const V1 = [input('a'), input('b'), input('c')];
const V2 = [input('a', 8), input('b'), input('d')];
const CLUSTERS = ['a', 'b', 'c', 'd'];

const temps: string[] = [];
let base: string;
let before: Record<string, Tree | undefined>;
let after: Record<string, Tree | undefined>;
let v2Index: string;

beforeAll(() => {
  base = tempRepo(V1);
  const reference = tempRepo(V2);
  temps.push(base, reference);
  expect(run(base, ['synth', '-q']).status).toBe(0);
  expect(run(reference, ['synth', '-q']).status).toBe(0);
  before = Object.fromEntries(CLUSTERS.map((c) => [c, readTree(join(base, 'dist', c))]));
  after = Object.fromEntries(CLUSTERS.map((c) => [c, readTree(join(reference, 'dist', c))]));
  v2Index = readFileSync(join(reference, 'clusters', 'index.ts'), 'utf8');
  expect(before.a).not.toEqual(after.a);
  expect(before.b).toEqual(after.b);
  for (const c of CLUSTERS) {
    const lookups = join(reference, 'clusters', `${c}.lookups.json`);
    if (existsSync(lookups)) cpSync(lookups, join(base, 'clusters', `${c}.lookups.json`));
  }
}, 60_000);
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the v1 repo whose registry is already v2: the next synth swaps a, adds d, removes c. */
function v1Repo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'eksai-crash-'));
  temps.push(repo);
  cpSync(base, repo, { recursive: true });
  writeFileSync(join(repo, 'clusters', 'index.ts'), v2Index);
  return repo;
}

/**
 * Every cluster folder is its complete old or new version (absent counts when that version has none).
 * The one exception is a kill between the two renames of a swap: then the folder is absent and its
 * complete old version waits in a journaled backup, which the next run puts back or replaces.
 */
function assertComplete(dist: string): void {
  const entries = readdirSync(dist);
  const owned = new Set((JSON.parse(readFileSync(join(dist, MARKER), 'utf8')) as { clusters: string[] }).clusters);
  for (const c of CLUSTERS) {
    const now = readTree(join(dist, c));
    if (now !== undefined) expect(owned.has(c), `${c} is in the marker`).toBe(true);
    if (now === undefined && before[c] !== undefined && after[c] !== undefined) {
      const backup = entries.find((e) => e.startsWith('.eksai-old-') && e.endsWith(`-${c}`));
      expect(backup, `${c} is missing without a backup`).toBeDefined();
      expect(entries).toContain('.eksai-journal.json');
      expect(readTree(join(dist, backup!))).toEqual(before[c]);
      continue;
    }
    expect([before[c], after[c]], `${c} is complete, old or new`).toContainEqual(now);
  }
}

function assertFinal(repo: string): void {
  const dist = join(repo, 'dist');
  expect(readdirSync(dist).sort()).toEqual([MARKER, 'a', 'b', 'd']);
  expect(readFileSync(join(dist, MARKER), 'utf8')).toBe(markerText(['a', 'b', 'd']));
  for (const c of CLUSTERS) expect(readTree(join(dist, c)), c).toEqual(after[c]);
  expect(run(repo, ['check'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^dist is fresh/) });
}

// Where v1 → v2 stops at each step: `staging` after the first of two new folders, `placed` after each.
const KILLS = ['locked', 'staging', 'staged', 'journaled', 'backed-up', 'placed:1', 'placed:2', 'pruned', 'marked', 'cleaned'];

describe('synth killed at every step', () => {
  test('the kill points cover every step of the write', () => {
    expect(new Set(KILLS.map((k) => k.split(':')[0]))).toEqual(new Set(CRASH_STEPS.filter((s) => s !== 'recovering')));
  });

  test.each(KILLS)(
    'after a kill at %s every cluster folder is complete; check reports the leftovers, validate skips them; the rerun finishes the swap',
    (step) => {
      const repo = v1Repo();
      const killed = run(repo, ['synth', '-q'], { EKSAI_TEST_CRASH_AT: step });
      expect(killed.signal).toBe('SIGKILL');
      const dist = join(repo, 'dist');
      assertComplete(dist);
      expect(listFiles([dist], repo).filter((f) => f.includes('/.eksai-'))).toEqual([]);
      const check = run(repo, ['check', '--format', 'json']);
      expect(check.status).toBe(1);
      const leftovers = (JSON.parse(check.stdout) as { stale: { path: string; status: string }[] }).stale
        .filter((s) => s.status === 'leftover')
        .map((s) => s.path);
      expect(leftovers).toContain('dist/.eksai-lock');

      const rerun = run(repo, ['synth']);
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(rerun.stderr).toMatch(/^recovered: /);
      assertFinal(repo);
    },
    30_000,
  );

  test('a kill during recovery is recovered by the next run, and a second synth after that changes nothing', () => {
    const repo = v1Repo();
    expect(run(repo, ['synth', '-q'], { EKSAI_TEST_CRASH_AT: 'backed-up' }).signal).toBe('SIGKILL');
    expect(run(repo, ['synth', '-q'], { EKSAI_TEST_CRASH_AT: 'recovering' }).signal).toBe('SIGKILL');
    assertComplete(join(repo, 'dist'));
    expect(run(repo, ['synth', '-q'], { EKSAI_TEST_CRASH_AT: 'placed' }).signal).toBe('SIGKILL');
    assertComplete(join(repo, 'dist'));
    const rerun = run(repo, ['synth']);
    expect(rerun.stderr).toContain('recovered: finished the interrupted synth');
    assertFinal(repo);
    const again = run(repo, ['synth', '--format', 'json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ recovered: [], removedClusters: [] });
  }, 60_000);

  test('a rerun by a process with the same pid as the killed one neither collides nor fails', () => {
    const repo = v1Repo();
    expect(run(repo, ['synth', '-q'], { EKSAI_TEST_CRASH_AT: 'staged' }).signal).toBe('SIGKILL');
    const dist = join(repo, 'dist');
    const [staging, ...more] = readdirSync(dist).filter((e) => e.startsWith('.eksai-staging-'));
    expect(more).toEqual([]);
    const lock = JSON.parse(readFileSync(join(dist, '.eksai-lock'), 'utf8')) as { pid: number };
    expect(staging).toMatch(new RegExp(`^\\.eksai-staging-${lock.pid}\\.[0-9a-z]+\\.[0-9a-f]{6}$`));
    // The dead run had this process's pid, as after a container restart; plus the staging name older eksai used.
    const samePid = staging!.replace(`-${lock.pid}.`, `-${process.pid}.`);
    renameSync(join(dist, staging!), join(dist, samePid));
    writeFileSync(join(dist, '.eksai-lock'), JSON.stringify({ ...lock, pid: process.pid }));
    mkdirSync(join(dist, `.eksai-staging-${process.pid}`, 'a'), { recursive: true });
    const result = synthesize({ cwd: repo, sources: V2.map((i) => source(i)) });
    expect(result.recovered).toEqual([
      expect.stringMatching(new RegExp(`^took over the lock of a synth that is gone \\(pid ${process.pid}, started \\d{4}-`)),
      `removed leftover .eksai-staging-${process.pid}`,
      `removed leftover ${samePid}`,
    ]);
    assertFinal(repo);
  }, 30_000);
});

/** A synth child process; `stderr()` is what it printed so far, `done` its exit. */
function spawnSynth(repo: string): { stderr: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'eksai.js'), 'synth', '-q', '--cwd', repo], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { stderr: () => stderr, done: new Promise((resolve) => child.on('close', resolve)) };
}

describe('concurrent synths', () => {
  test('two synths started together both succeed and leave the complete new dist', async () => {
    for (let round = 0; round < 3; round++) {
      const repo = v1Repo();
      const statuses = await Promise.all([spawnSynth(repo).done, spawnSynth(repo).done]);
      expect(statuses).toEqual([0, 0]);
      assertFinal(repo);
    }
  }, 60_000);

  test('a synth waits for the lock another holds, then runs; two waiting synths run one after the other', async () => {
    const repo = v1Repo();
    const lock = acquireLock(join(repo, 'dist'), 1000);
    const children = [spawnSynth(repo), spawnSynth(repo)];
    // Both children are alive and blocked on the lock (each says it waits for this process) until it is released.
    const waiting = `waiting for another synth writing this dist (pid ${process.pid}, started `;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !children.every((c) => c.stderr().startsWith(waiting))) await new Promise((r) => setTimeout(r, 50));
    for (const c of children) expect(c.stderr()).toMatch(/^waiting for another synth writing this dist \(pid \d+, started \d{4}-\d\d-\d\dT[^)]*\)\n$/);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(repo, 'dist', 'd'))).toBe(false);
    expect(readTree(join(repo, 'dist', 'a'))).toEqual(before.a);
    lock.release();
    expect(await Promise.all(children.map((c) => c.done))).toEqual([0, 0]);
    assertFinal(repo);
  }, 60_000);
});
