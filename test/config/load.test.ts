import { describe, expect, test } from 'vitest';
import { lookupsFor, loadErrors, loadOk, minimalInput } from '../helpers';

const pools = (nodePools: unknown[], nodeClasses?: unknown[]) => ({
  karpenter: { nodeClasses: nodeClasses ?? [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools },
});

describe('config load', () => {
  test('a minimal config loads with layered defaults (platform → dev)', () => {
    const c = loadOk(minimalInput());
    expect(c.gitops).toEqual({ repoURL: 'https://github.com/acme/platform.git', targetRevision: 'main', sync: 'auto-prune' });
    expect(c.karpenter.controller.replicas).toBe(1);
    expect(c.facts.endpointHost).toBe('abcdef0123456789.gr7.us-west-2.eks.amazonaws.com');
    const gpu = c.karpenter.nodePools.find((p) => p.name === 'gpu')!;
    expect(gpu).toMatchObject({ capacityTypes: ['on-demand'], consolidationPolicy: 'WhenEmpty', instanceFamilies: ['g5', 'g6', 'g6e'], expireAfter: '168h' });
    expect(gpu.taints).toContainEqual({ key: 'nvidia.com/gpu', effect: 'NoSchedule' });
  });

  test('prod defaults: automated sync without prune, 720h expiry, drift one node at a time', () => {
    const c = loadOk(minimalInput({ environment: 'prod' }));
    expect(c.gitops.sync).toBe('auto');
    expect(c.karpenter.nodePools[0]).toMatchObject({ expireAfter: '720h', terminationGracePeriod: '48h' });
    expect(c.karpenter.nodePools[0]!.budgets).toContainEqual({ nodes: '1', reasons: ['Drifted'] });
  });

  test('the cluster file wins over environment defaults', () => {
    const c = loadOk(minimalInput({ environment: 'prod', gitops: { repoURL: 'https://github.com/acme/platform.git', sync: 'manual' } }));
    expect(c.gitops.sync).toBe('manual');
  });

  test('fails when a key is unknown, and suggests the right one', () => {
    const input = minimalInput(pools([{ name: 'general', kind: 'cpu', limits: { cpu: 10 }, expireAftr: '24h' }]));
    expect(loadErrors(input)).toEqual(["clusters/minimal.ts: karpenter.nodePools[general].expireAftr is not a known key: did you mean 'expireAfter'?"]);
  });

  test('fails when types are wrong, naming path and value', () => {
    const errors = loadErrors(minimalInput({ region: 42 }));
    expect(errors).toEqual(['clusters/minimal.ts: region expected string, received number (got 42)']);
  });

  test('fails when limits are negative', () => {
    const errors = loadErrors(minimalInput(pools([{ name: 'general', kind: 'cpu', limits: { cpu: -1 } }])));
    expect(errors).toContain('clusters/minimal.ts: karpenter.nodePools[general].limits.cpu must not be negative (got -1)');
  });

  test('fails when a gpu pool has no GPU instance families', () => {
    const errors = loadErrors(minimalInput(pools([{ name: 'gpu', kind: 'gpu', instanceFamilies: ['m5'], limits: { gpu: 1 } }])));
    expect(errors[0]).toMatch(
      /^clusters\/minimal\.ts: karpenter\.nodePools\[gpu\]\.instanceFamilies must only list NVIDIA GPU instance families \(m5 is not\)/,
    );
  });

  test('fails when a gpu pool has no GPU limit', () => {
    const errors = loadErrors(minimalInput(pools([{ name: 'gpu', kind: 'gpu', limits: { gpu: 0 } }])));
    expect(errors).toContain(
      'clusters/minimal.ts: karpenter.nodePools[gpu].limits.gpu must be >= 1 for a gpu pool (got 0): set limits.gpu to the most GPUs the pool may run, or remove the pool',
    );
  });

  test('fails when pool names repeat', () => {
    const p = { name: 'general', kind: 'cpu', limits: { cpu: 1 } };
    expect(loadErrors(minimalInput(pools([p, p])))).toContain(
      'clusters/minimal.ts: karpenter.nodePools[general] duplicate node pool name (got "general"): give each node pool a unique name (names become Kubernetes object names)',
    );
  });

  test('fails when the region does not exist, with a suggestion', () => {
    expect(loadErrors(minimalInput({ region: 'us-west-3' }))[0]).toMatch(
      /region is not an AWS region with EKS \(got "us-west-3"\): did you mean 'us-west-\d'\?/,
    );
  });

  test('fails when an AMI alias is malformed', () => {
    const errors = loadErrors(minimalInput(pools([{ name: 'general', kind: 'cpu', limits: { cpu: 1 } }], [{ name: 'default', amiAlias: 'al2023@2025' }])));
    expect(errors).toEqual([
      "clusters/minimal.ts: karpenter.nodeClasses[default].amiAlias must be a pinned AMI alias: al2023@vYYYYMMDD or bottlerocket@vX.Y.Z (got \"al2023@2025\"): e.g. 'al2023@v20260714' or 'bottlerocket@v1.64.0'",
    ]);
  });

  test('fails when prod uses @latest; dev only warns', () => {
    const latest = pools([{ name: 'general', kind: 'cpu', limits: { cpu: 1 } }], [{ name: 'default', amiAlias: 'al2023@latest' }]);
    expect(loadErrors(minimalInput({ environment: 'prod', ...latest }))[0]).toMatch(/amiAlias uses @latest: every AMI release drifts/);
    expect(() => loadOk(minimalInput(latest))).not.toThrow();
  });

  test('fails when a pool refers to an undefined node class', () => {
    const errors = loadErrors(minimalInput(pools([{ name: 'general', kind: 'cpu', nodeClass: 'defualt', limits: { cpu: 1 } }])));
    expect(errors).toEqual([
      'clusters/minimal.ts: karpenter.nodePools[general].nodeClass refers to node class "defualt", which is not defined (got "defualt"): did you mean \'default\'?',
    ]);
  });

  test('lists every problem at once', () => {
    const input = minimalInput({ region: 'mars-1', ...pools([{ name: 'gpu', kind: 'gpu', instanceFamilies: ['c7i'], limits: { gpu: -2 } }]) });
    expect(loadErrors(input).length).toBeGreaterThanOrEqual(3);
  });

  test('fails when a lookup fact is missing, naming the SSM parameter and the command', () => {
    const lookups = lookupsFor('minimal');
    delete (lookups.parameters as Record<string, string>)['karpenter/interruption-queue-name'];
    expect(loadErrors(minimalInput(), lookups)).toEqual([
      'clusters/minimal.lookups.json: parameters.karpenter/interruption-queue-name is missing: SSM parameter /eksai/minimal/karpenter/interruption-queue-name (SQS queue Karpenter reads interruption events from) was not found: run `eksai lookup --cluster minimal` after terraform/bootstrap has written it',
    ]);
  });

  test('fails when the endpoint is an IP or has a path', () => {
    for (const endpoint of ['https://10.0.0.1', 'https://abc.eks.amazonaws.com/api']) {
      const lookups = lookupsFor('minimal');
      (lookups.parameters as Record<string, string>)['cluster/endpoint'] = endpoint;
      expect(loadErrors(minimalInput(), lookups)[0]).toMatch(/parameters\.cluster\/endpoint must (be a hostname, not an IP address|not have a path)/);
    }
  });
});
