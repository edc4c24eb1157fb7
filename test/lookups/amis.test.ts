import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem, type Problem } from '../../lib/errors';
import { amiNeeds, amiParameter, amiProblems, UnknownAmiReleaseError, type NodeImageInputs } from '../../lib/lookups/amis';
import { nodeImageInputs } from '../../lib/config/node-images';
import { clusterSchema } from '../../lib/config/schema';
import { lookup } from '../../lib/lookups/ssm';
import { clusters } from '../../clusters';
import { loadErrors, loadOk, lookupsFor, minimalInput, tempRepo, verifiedAmis } from '../helpers';
import { FACTS, paged, param, runCli, testClient, useFakeSsm, type FakeSsm } from './server';

describe('amiParameter', () => {
  it('names the public SSM parameters Karpenter v1.14.1 reads (al2023.go resolvePath, bottlerocket.go)', () => {
    expect(amiParameter('al2023', 'amd64', 'standard', '1.35', 'v20260714')).toBe(
      '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.35-v20260714/image_id',
    );
    expect(amiParameter('al2023', 'arm64', 'nvidia', '1.34', 'v20260714')).toBe(
      '/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/arm64/nvidia/amazon-eks-node-al2023-arm64-nvidia-1.34-v20260714/image_id',
    );
    expect(amiParameter('bottlerocket', 'amd64', 'standard', '1.35', 'v1.64.0')).toBe('/aws/service/bottlerocket/aws-k8s-1.35/x86_64/1.64.0/image_id');
    expect(amiParameter('bottlerocket', 'arm64', 'nvidia', '1.35', 'v1.64.0')).toBe('/aws/service/bottlerocket/aws-k8s-1.35-nvidia/arm64/1.64.0/image_id');
  });
});

describe('amiNeeds', () => {
  it('lists each architecture of each pool using a class, nvidia for gpu pools, amd64/standard for an unused class', () => {
    const needs = amiNeeds({
      kubernetesVersion: '1.35',
      nodeClasses: [
        { name: 'default', amiAlias: 'al2023@v20260714' },
        { name: 'gpu', amiAlias: 'bottlerocket@v1.64.0' },
        { name: 'spare', amiAlias: 'al2023@v20260709' },
        { name: 'drifting', amiAlias: 'al2023@latest' },
      ],
      nodePools: [
        { name: 'general', nodeClass: 'default', kind: 'cpu', arch: ['amd64', 'arm64'] },
        { name: 'memory', nodeClass: 'default', kind: 'memory', arch: ['arm64'] },
        { name: 'a10', nodeClass: 'gpu', kind: 'gpu', arch: ['amd64'] },
        { name: 'grace', nodeClass: 'gpu', kind: 'gpu', arch: ['arm64'] },
      ],
    });
    expect(needs.map((n) => [n.alias, n.images.map((i) => `${i.key} ${i.pools.join(',')}`)])).toEqual([
      ['al2023@v20260709', ['amd64/standard ']],
      ['al2023@v20260714', ['amd64/standard general', 'arm64/standard general,memory']],
      ['bottlerocket@v1.64.0', ['amd64/nvidia a10', 'arm64/nvidia grace']],
    ]);
  });

  it('reads the committed clusters with their defaults (Kubernetes 1.35, amd64)', () => {
    const of = (name: keyof typeof clusters) =>
      amiNeeds(nodeImageInputs(clusterSchema.parse(clusters[name]))).map((n) => `${n.alias} ${n.kubernetesVersion} ${n.images.map((i) => i.key).join(' ')}`);
    expect(of('dev')).toEqual(['al2023@v20260714 1.35 amd64/nvidia amd64/standard']);
    expect(of('staging')).toEqual(['bottlerocket@v1.64.0 1.35 amd64/nvidia amd64/standard']);
    expect(of('prod')).toEqual(['al2023@v20260714 1.35 amd64/nvidia amd64/standard']);
  });
});

describe('lookup verifies AMI aliases through SSM', () => {
  const fake = useFakeSsm();
  let ssm: FakeSsm;
  let cwd: string;
  beforeEach(() => {
    ssm = fake();
    ssm.calls.length = 0;
    ssm.byPath = paged(FACTS);
    cwd = mkdtempSync(join(tmpdir(), 'eksai-amis-'));
    mkdirSync(join(cwd, 'clusters'));
  });
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });
  const file = () => join(cwd, 'clusters', 'dev.lookups.json');
  const run = (nodes: NodeImageInputs) => lookup({ cluster: 'dev', region: 'us-west-2', cwd, nodes, client: testClient(ssm.endpoint) });
  const publish = (nodes: NodeImageInputs, skip: (parameter: string) => boolean = () => false) => {
    let n = 0;
    ssm.publicParameters = new Map(
      amiNeeds(nodes).flatMap((need) =>
        need.images
          .filter((i) => !skip(i.parameter))
          .map((i) => [i.parameter, `ami-0123456789abcde${(++n).toString(16).padStart(2, '0')}`] as [string, string]),
      ),
    );
  };

  const MIXED: NodeImageInputs = {
    kubernetesVersion: '1.35',
    nodeClasses: [
      { name: 'default', amiAlias: 'al2023@v20260714' },
      { name: 'gpu', amiAlias: 'bottlerocket@v1.64.0' },
    ],
    nodePools: [
      { name: 'general', nodeClass: 'default', kind: 'cpu', arch: ['amd64', 'arm64'] },
      { name: 'gpu', nodeClass: 'gpu', kind: 'gpu', arch: ['amd64', 'arm64'] },
    ],
  };

  it('resolves every image with GetParameters (at most 10 names a call) and records the AMI ids', async () => {
    publish(MIXED);
    const result = await run(MIXED);
    const gets = ssm.calls.filter((c) => c.target === 'AmazonSSM.GetParameters');
    expect(gets).toHaveLength(1);
    expect(gets[0]!.body.Names).toEqual([
      '/aws/service/bottlerocket/aws-k8s-1.35-nvidia/arm64/1.64.0/image_id',
      '/aws/service/bottlerocket/aws-k8s-1.35-nvidia/x86_64/1.64.0/image_id',
      '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/arm64/standard/amazon-eks-node-al2023-arm64-standard-1.35-v20260714/image_id',
      '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.35-v20260714/image_id',
    ]);
    const written = JSON.parse(readFileSync(file(), 'utf8'));
    expect(written.amis).toEqual(result.amis);
    expect(written.amis['bottlerocket@v1.64.0']).toEqual({
      images: { 'amd64/nvidia': expect.stringMatching(/^ami-[0-9a-f]{17}$/), 'arm64/nvidia': expect.stringMatching(/^ami-[0-9a-f]{17}$/) },
      kubernetesVersion: '1.35',
    });
    expect(Object.keys(written)).toEqual(['amis', 'parameters', 'prefix', 'region']);
  });

  it('splits more than 10 images into several GetParameters calls', async () => {
    const releases = Array.from({ length: 12 }, (_, i) => `v202607${String(i + 1).padStart(2, '0')}`);
    const nodes: NodeImageInputs = { kubernetesVersion: '1.35', nodeClasses: releases.map((r) => ({ name: r, amiAlias: `al2023@${r}` })), nodePools: [] };
    publish(nodes);
    const result = await run(nodes);
    expect(ssm.calls.filter((c) => c.target === 'AmazonSSM.GetParameters').map((c) => c.body.Names!.length)).toEqual([10, 2]);
    expect(Object.keys(result.amis)).toHaveLength(12);
  });

  it('fails when a pinned release does not exist (al2023@v20251117), naming the parameter and the fix, writing nothing', async () => {
    for (const [alias, missing] of [
      [
        'al2023@v20251117',
        '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.35-v20251117/image_id',
      ],
      ['bottlerocket@v1.51.0', '/aws/service/bottlerocket/aws-k8s-1.35/x86_64/1.51.0/image_id'],
    ] as const) {
      const nodes: NodeImageInputs = {
        kubernetesVersion: '1.35',
        nodeClasses: [{ name: 'default', amiAlias: alias }],
        nodePools: [{ name: 'general', nodeClass: 'default', kind: 'cpu', arch: ['amd64'] }],
      };
      ssm.publicParameters = new Map();
      const err = (await run(nodes).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(UnknownAmiReleaseError);
      expect(err.message).toContain(
        `clusters/dev.ts: karpenter.nodeClasses[default].amiAlias names a release SSM does not have for Kubernetes 1.35 in us-west-2: no ${missing} (the amd64/standard image of pool general), so Karpenter would launch no node; nothing was written (got "${alias}"): pin a release that exists for Kubernetes 1.35`,
      );
      expect(() => readFileSync(file())).toThrow();
    }
  });

  it('fails when only one variant is missing (an arm64 gpu pool on a release without arm64 nvidia)', async () => {
    publish(MIXED, (p) => p.includes('nvidia/arm64'));
    const err = (await run(MIXED).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnknownAmiReleaseError);
    expect(err.message.split('\n')).toEqual([
      expect.stringContaining(
        'karpenter.nodeClasses[gpu].amiAlias names a release SSM does not have for Kubernetes 1.35 in us-west-2: no /aws/service/bottlerocket/aws-k8s-1.35-nvidia/arm64/1.64.0/image_id (the arm64/nvidia image of pool gpu)',
      ),
    ]);
  });

  it('fails when SSM holds something other than an AMI id there', async () => {
    for (const bad of ['ami-XYZ', 'ami-0123456789abcdef0\n', 'x'.repeat(5000)]) {
      publish(MIXED);
      ssm.publicParameters.set('/aws/service/bottlerocket/aws-k8s-1.35-nvidia/x86_64/1.64.0/image_id', bad);
      const err = (await run(MIXED).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(UnknownAmiReleaseError);
      expect(err.message).toContain('which is not an AMI id; nothing was written');
      expect(err.message.length).toBeLessThan(800);
    }
  });

  it('skips @latest aliases (the amiAliases rule warns or refuses them)', async () => {
    const nodes: NodeImageInputs = { kubernetesVersion: '1.35', nodeClasses: [{ name: 'default', amiAlias: 'al2023@latest' }], nodePools: [] };
    const result = await run(nodes);
    expect(result.amis).toEqual({});
    expect(ssm.calls.filter((c) => c.target === 'AmazonSSM.GetParameters')).toEqual([]);
  });
});

describe('synth refuses an alias the lookups file has not verified', () => {
  const input = minimalInput();
  const withAmis = (amis: unknown) => ({ ...lookupsFor('minimal'), amis });
  const fix =
    'run `eksai lookup --cluster minimal` (it resolves the alias through the public SSM parameters Karpenter reads and records the AMI ids), then synth';

  it('loads when every pinned alias is verified for the cluster Kubernetes version', () => {
    expect(loadOk(input, withAmis(verifiedAmis(input))).karpenter.nodeClasses[0]!.amiAlias).toBe('al2023@v20251117');
  });

  it('fails when the file has no amis section or no entry for the alias', () => {
    const message = `clusters/minimal.ts: karpenter.nodeClasses[default].amiAlias is not verified: clusters/minimal.lookups.json has no AMI ids for it (got "al2023@v20251117"): ${fix}`;
    const other = verifiedAmis(minimalInput({ karpenter: { ...input.karpenter, nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20260714' }] } }));
    for (const amis of [{}, other]) expect(loadErrors(input, withAmis(amis))).toEqual([message]);
    // A file written before AMIs were verified has no amis key at all.
    const problems: Problem[] = [];
    const { amis: _none, ...old } = withAmis({});
    amiProblems('minimal', 'clusters/minimal.ts', nodeImageInputs(clusterSchema.parse(input)), old, problems);
    expect(problems.map(formatProblem)).toEqual([message]);
  });

  it('fails when the alias was verified for another Kubernetes version', () => {
    const amis = verifiedAmis(minimalInput({ kubernetesVersion: '1.34' }));
    expect(loadErrors(input, withAmis(amis))).toEqual([
      `clusters/minimal.ts: karpenter.nodeClasses[default].amiAlias is verified for Kubernetes 1.34 in clusters/minimal.lookups.json, but the cluster runs 1.35 (got "al2023@v20251117"): ${fix}`,
    ]);
  });

  it('fails when an image a pool launches is missing or malformed', () => {
    const arm = minimalInput({
      karpenter: {
        ...input.karpenter,
        nodePools: [
          { name: 'general', kind: 'cpu', arch: ['amd64', 'arm64'], limits: { cpu: 100 } },
          { name: 'gpu', kind: 'gpu', limits: { gpu: 2 } },
        ],
      },
    });
    expect(loadErrors(arm, withAmis(verifiedAmis(input)))).toEqual([
      `clusters/minimal.ts: karpenter.nodeClasses[default].amiAlias is not verified for arm64/standard (launched by pool general): clusters/minimal.lookups.json has no AMI id for it (got "al2023@v20251117"): ${fix}`,
    ]);
    for (const bad of ['ami-123', 'ami-0123456789abcdef0 ', 42]) {
      const amis = verifiedAmis(input) as Record<string, { images: Record<string, unknown> }>;
      amis['al2023@v20251117']!.images['amd64/nvidia'] = bad;
      expect(loadErrors(input, withAmis(amis))[0]).toContain(
        'is not verified for amd64/nvidia (launched by pool gpu): clusters/minimal.lookups.json has a malformed',
      );
    }
  });

  it('fails when amis is not an object', () => {
    for (const amis of [[], 'x', null]) {
      expect(loadErrors(input, withAmis(amis))).toEqual([
        expect.stringContaining('clusters/minimal.lookups.json: amis must be an object of verified AMI aliases: run `eksai lookup --cluster minimal`'),
      ]);
    }
  });
});

describe('eksai lookup then synth (CLI, throwaway repo)', () => {
  const fake = useFakeSsm();
  const cli = (args: string[]) => runCli(fake().endpoint, args);

  it('fails synth until lookup has verified the alias, then synthesizes; an unknown release fails lookup with exit 1', async () => {
    const input = minimalInput({ name: 'edge', karpenter: { ...minimalInput().karpenter, nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20260714' }] } });
    const dir = tempRepo([input]);
    try {
      const path = join(dir, 'clusters', 'edge.lookups.json');
      const doc = JSON.parse(readFileSync(path, 'utf8'));
      writeFileSync(path, JSON.stringify({ ...doc, amis: {} }));
      const refused = await cli(['synth', '--cwd', dir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        'clusters/edge.ts: karpenter.nodeClasses[default].amiAlias is not verified: clusters/edge.lookups.json has no AMI ids for it (got "al2023@v20260714"): run `eksai lookup --cluster edge`',
      );
      fake().byPath = () => ({
        status: 200,
        body: { Parameters: Object.entries(doc.parameters as Record<string, string>).map(([k, v]) => param(k, v, '/eksai/edge/')) },
      });
      const nodes = nodeImageInputs(clusterSchema.parse(input));
      fake().publicParameters = new Map(amiNeeds(nodes).flatMap((n) => n.images.map((i, j) => [i.parameter, `ami-0123456789abcdef${j}`] as [string, string])));
      const looked = await cli(['lookup', '--cwd', dir, '--cluster', 'edge']);
      expect(looked).toMatchObject({
        code: 0,
        stdout: 'wrote clusters/edge.lookups.json (4 parameters from SSM /eksai/edge/ in us-west-2, 1 page; 1 AMI alias verified)\n',
      });
      expect((await cli(['synth', '--cwd', dir])).code).toBe(0);
      fake().publicParameters = new Map();
      const before = readFileSync(path, 'utf8');
      const unknown = await cli(['lookup', '--cwd', dir, '--cluster', 'edge']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('names a release SSM does not have for Kubernetes 1.35 in us-west-2');
      expect(readFileSync(path, 'utf8')).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('eksai lookup refuses a file the config would reject (CLI, throwaway repo)', () => {
  const fake = useFakeSsm();

  it('fails when storage.efs is on but SSM has no EFS id, writing nothing', async () => {
    const input = minimalInput({
      name: 'edge',
      storage: { efs: true },
      karpenter: { ...minimalInput().karpenter, nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20260714' }] },
    });
    const dir = tempRepo([input]);
    try {
      const path = join(dir, 'clusters', 'edge.lookups.json');
      const doc = JSON.parse(readFileSync(path, 'utf8'));
      fake().byPath = () => ({
        status: 200,
        body: { Parameters: Object.entries(doc.parameters as Record<string, string>).map(([k, v]) => param(k, v, '/eksai/edge/')) },
      });
      fake().publicParameters = new Map(
        amiNeeds(nodeImageInputs(clusterSchema.parse(input))).flatMap((n) =>
          n.images.map((i, j) => [i.parameter, `ami-0123456789abcdef${j}`] as [string, string]),
        ),
      );
      const before = readFileSync(path, 'utf8');
      const out = await runCli(fake().endpoint, ['lookup', '--cwd', dir, '--cluster', 'edge']);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(
        'clusters/edge.lookups.json: parameters.storage/efs-file-system-id is missing: storage.efs is on in clusters/edge.ts but SSM parameter /eksai/edge/storage/efs-file-system-id was not found; nothing was written',
      );
      expect(readFileSync(path, 'utf8')).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
