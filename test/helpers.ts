import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { verifiedAmis } from '../bench/lookups';

export { verifiedAmis };
import { type ClusterSource } from '../lib/config/load';
import { loadCluster } from '../charts/checks';
import type { ClusterConfigInput } from '../lib/config/schema';
import type { ClusterConfig } from '../lib/config/types';
import { buildCluster, type Manifest } from '../pipeline/synth/build';

export const REPO = join(__dirname, '..');

/** Lookups document of a healthy cluster named `name` (with its AMI aliases verified when `input` is given). */
export function lookupsFor(name: string, region = 'us-west-2', input?: unknown): Record<string, unknown> {
  return {
    ...(input === undefined ? {} : { amis: verifiedAmis(input) }),
    parameters: {
      'cluster/endpoint': `https://ABCDEF0123456789.gr7.${region}.eks.amazonaws.com`,
      'karpenter/interruption-queue-name': `${name}-karpenter`,
      'karpenter/node-role-name': `${name}-karpenter-node`,
      'network/vpc-id': 'vpc-0123456789abcdef0',
    },
    prefix: `/eksai/${name}/`,
    region,
  };
}

/** A minimal valid cluster file; `patch` replaces top-level keys. */
export function minimalInput(patch: Record<string, unknown> = {}): ClusterConfigInput {
  return {
    name: 'minimal',
    environment: 'dev',
    region: 'us-west-2',
    gitops: { repoURL: 'https://github.com/acme/platform.git' },
    karpenter: {
      nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }],
      nodePools: [
        { name: 'general', kind: 'cpu', limits: { cpu: 100 } },
        { name: 'gpu', kind: 'gpu', limits: { gpu: 2 } },
      ],
    },
    ...patch,
  };
}

export function source(input: unknown, lookups?: unknown): ClusterSource {
  const name = (input as { name?: string }).name ?? 'minimal';
  const doc = lookups ?? lookupsFor(name, (input as { region?: string }).region, input);
  // Tests that build their own lookups (a broken fact, an EFS id) get the input's aliases verified unless they set `amis`.
  const withAmis = typeof doc === 'object' && doc !== null && !Array.isArray(doc) && !('amis' in doc) ? { ...doc, amis: verifiedAmis(input) } : doc;
  return { name, file: `clusters/${name}.ts`, input, lookups: withAmis };
}

/** Loads a config or throws with the formatted problems (for tests that expect success). */
export function loadOk(input: unknown, lookups?: unknown): ClusterConfig {
  const result = loadCluster(source(input, lookups), REPO);
  if (!('config' in result)) throw new Error(result.errors.map((e) => `${e.path} ${e.message}`).join('\n'));
  return result.config;
}

/** Error lines of a config expected to fail. */
export function loadErrors(input: unknown, lookups?: unknown): string[] {
  const result = loadCluster(source(input, lookups), REPO);
  if ('config' in result) throw new Error('expected config errors, got a valid config');
  return result.errors.map((e) => {
    const got = 'value' in e ? ` (got ${JSON.stringify(e.value)})` : '';
    return `${e.file}: ${e.path} ${e.message}${got}${e.fix ? `: ${e.fix}` : ''}`;
  });
}

/** Objects of one chart of a built cluster. */
export function chartObjects(config: ClusterConfig, chartId: string): Manifest[] {
  return [...(buildCluster(config).charts.get(chartId) ?? [])];
}

export function find(objects: readonly Manifest[], kind: string, name: string): Manifest {
  const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!obj) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return obj;
}

/**
 * A throwaway repo root with clusters/index.ts (plain data, no imports) and lookups files,
 * for running the real CLI as a subprocess.
 */
export function tempRepo(inputs: readonly Record<string, unknown>[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'eksai-test-'));
  mkdirSync(join(dir, 'clusters'));
  const entries = inputs.map((i) => `  ${JSON.stringify(i.name)}: ${JSON.stringify(i)},`).join('\n');
  writeFileSync(join(dir, 'clusters', 'index.ts'), `export const clusters = {\n${entries}\n};\n`);
  for (const i of inputs) {
    const name = String(i.name);
    writeFileSync(join(dir, 'clusters', `${name}.lookups.json`), JSON.stringify(lookupsFor(name, String(i.region), i)));
  }
  return dir;
}

export function eksai(args: readonly string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'eksai.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
