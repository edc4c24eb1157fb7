import { describe, expect, test } from 'vitest';
import { explainNoFit, placement, podPlacement, poolShape, poolShapeFromManifest, type PodPlacement } from '../lib/placement';
import { GPU_TOLERATION, rayHeadPlacement, rayWorkerPlacement } from '../lib/ray';
import { chartObjects, loadOk, minimalInput } from './helpers';

const config = loadOk(minimalInput({ teams: [{ name: 'research' }] }));
const configShapes = config.karpenter.nodePools.map(poolShape);
const nodePools = chartObjects(config, 'node-pools').filter((o) => o.kind === 'NodePool');
const manifestShapes = nodePools.map(poolShapeFromManifest);

const pod = (p: Partial<PodPlacement>): PodPlacement => ({ nodeSelector: {}, tolerations: [], gpus: 0, ...p });

describe('placement: config side (poolShape) and manifest side (poolShapeFromManifest) agree', () => {
  for (const [side, shapes] of [
    ['config', configShapes],
    ['manifest', manifestShapes],
  ] as const) {
    test(`${side}: a plain pod fits the cpu pool only (the gpu pool is tainted)`, () => {
      const { fits, reasons } = placement(pod({}), shapes);
      expect(fits).toEqual(['general']);
      expect(reasons.gpu).toEqual(['pool gpu taints its nodes nvidia.com/gpu:NoSchedule and the pod does not tolerate it']);
    });

    test(`${side}: a selector the pool's labels rule out does not fit`, () => {
      const { fits, reasons } = placement(pod({ nodeSelector: { 'eksai.io/pool-kind': 'memory' } }), shapes);
      expect(fits).toEqual([]);
      expect(reasons.general).toEqual(['nodeSelector eksai.io/pool-kind=memory: pool general has eksai.io/pool-kind in [cpu]']);
      expect(explainNoFit(shapes, reasons)).toContain('pool general has eksai.io/pool-kind in [cpu]');
    });

    test(`${side}: a GPU request on a cpu pool does not fit; with the GPU toleration it fits the gpu pool`, () => {
      const { fits, reasons } = placement(pod({ gpus: 1 }), shapes);
      expect(fits).toEqual([]);
      expect(reasons.general).toEqual(['the pod requests nvidia.com/gpu: 1 and pool general has no GPU instance types']);
      expect(placement(pod({ gpus: 1, tolerations: [GPU_TOLERATION] }), shapes).fits).toEqual(['gpu']);
    });

    test(`${side}: well-known labels fit unless the pool rules the value out`, () => {
      expect(placement(pod({ nodeSelector: { 'topology.kubernetes.io/zone': 'us-west-2a' } }), shapes).fits).toEqual(['general']);
      expect(placement(pod({ nodeSelector: { 'karpenter.sh/capacity-type': 'spot' } }), shapes).fits).toEqual(['general']);
      const arm = placement(pod({ nodeSelector: { 'kubernetes.io/arch': 'arm64' } }), shapes);
      expect(arm.fits).toEqual([]);
      expect(arm.reasons.general).toEqual(['nodeSelector kubernetes.io/arch=arm64: pool general has kubernetes.io/arch in [amd64]']);
      expect(placement(pod({ nodeSelector: { 'example.com/unknown': 'x' } }), shapes).reasons.general).toEqual([
        'nodeSelector example.com/unknown=x: nodes of pool general have no example.com/unknown label',
      ]);
    });
  }

  test('the gpu pool is on-demand only: a spot selector with the GPU toleration fits nothing', () => {
    const { fits, reasons } = placement(
      pod({ gpus: 1, tolerations: [GPU_TOLERATION], nodeSelector: { 'karpenter.sh/capacity-type': 'spot' } }),
      manifestShapes,
    );
    expect(fits).toEqual([]);
    expect(reasons.gpu).toEqual(['nodeSelector karpenter.sh/capacity-type=spot: pool gpu has karpenter.sh/capacity-type in [on-demand]']);
  });
});

describe('Ray pod placement (lib/ray.ts): what the chart renders is what the rule checks', () => {
  const team = config.teams[0]!;
  const rayCluster = chartObjects(config, 'ray-clusters')[0]!;
  const spec = rayCluster.spec as { headGroupSpec: { template: { spec: unknown } }; workerGroupSpecs: { groupName: string; template: { spec: unknown } }[] };

  test('the rendered head pod template reads back as rayHeadPlacement and fits the cpu pool on-demand', () => {
    const head = podPlacement(spec.headGroupSpec.template.spec);
    expect(head).toEqual(rayHeadPlacement(team));
    expect(head.nodeSelector).toEqual({ 'eksai.io/pool-kind': 'cpu', 'karpenter.sh/capacity-type': 'on-demand' });
    expect(placement(head, manifestShapes).fits).toEqual(['general']);
  });

  test('the rendered worker templates read back as rayWorkerPlacement: CPU group on spot of the cpu pool, GPU group on the gpu pool', () => {
    for (const group of team.ray.workerGroups) {
      const rendered = spec.workerGroupSpecs.find((g) => g.groupName === group.name)!;
      expect(podPlacement(rendered.template.spec)).toEqual(rayWorkerPlacement(group));
    }
    const byGroup = Object.fromEntries(spec.workerGroupSpecs.map((g) => [g.groupName, placement(podPlacement(g.template.spec), manifestShapes).fits]));
    expect(byGroup).toEqual({ cpu: ['general'], gpu: ['gpu'] });
  });
});

describe('placement: required node affinity (terms ORed, expressions ANDed)', () => {
  const pool = {
    name: 'gpu',
    labels: { 'eksai.io/pool': { in: ['gpu'] }, 'karpenter.k8s.aws/instance-gpu-count': { in: ['1', '4'] }, 'karpenter.sh/capacity-type': { notIn: ['spot'] } },
    taints: [],
    gpu: true,
  } as const;
  const term = (key: string, operator: string, values: string[] = []) => [{ key, operator, values }];
  const fits = (...terms: ReturnType<typeof term>[]) => placement(pod({ requiredTerms: terms }), [pool]);

  test.each([
    ['In on a pool label', term('eksai.io/pool', 'In', ['gpu', 'x'])],
    ['NotIn of values the pool does not have', term('eksai.io/pool', 'NotIn', ['cpu'])],
    ['NotIn of a label the nodes do not carry', term('feature.node.kubernetes.io/pci-10de.present', 'NotIn', ['true'])],
    ['Exists on a well-known label', term('topology.kubernetes.io/zone', 'Exists')],
    ['DoesNotExist of a label the nodes do not carry', term('nvidia.com/gpu.present', 'DoesNotExist')],
    ['Gt on a numeric pool label', term('karpenter.k8s.aws/instance-gpu-count', 'Gt', ['2'])],
    ['Lt on a numeric pool label', term('karpenter.k8s.aws/instance-gpu-count', 'Lt', ['2'])],
    ['In of a value the pool does not exclude', term('karpenter.sh/capacity-type', 'In', ['on-demand'])],
  ])('fits: %s', (_, t) => {
    expect(fits(t).fits).toEqual(['gpu']);
  });

  test.each([
    [
      'In on a label the nodes do not carry (the NVIDIA device plugin NFD default)',
      term('feature.node.kubernetes.io/pci-10de.present', 'In', ['true']),
      'feature.node.kubernetes.io/pci-10de.present In [true]: nodes of pool gpu have no feature.node.kubernetes.io/pci-10de.present label',
    ],
    ['In of values the pool does not have', term('eksai.io/pool', 'In', ['cpu']), 'eksai.io/pool In [cpu]: pool gpu has eksai.io/pool in [gpu]'],
    ['NotIn of every value the pool has', term('eksai.io/pool', 'NotIn', ['gpu']), 'eksai.io/pool NotIn [gpu]: pool gpu has eksai.io/pool in [gpu]'],
    [
      'Exists on a label the nodes do not carry',
      term('nvidia.com/gpu.present', 'Exists'),
      'nvidia.com/gpu.present Exists: nodes of pool gpu have no nvidia.com/gpu.present label',
    ],
    ['DoesNotExist of a label the pool sets', term('eksai.io/pool', 'DoesNotExist'), 'eksai.io/pool DoesNotExist: nodes of pool gpu carry eksai.io/pool'],
    [
      'Gt above every value',
      term('karpenter.k8s.aws/instance-gpu-count', 'Gt', ['8']),
      'karpenter.k8s.aws/instance-gpu-count Gt [8]: pool gpu has karpenter.k8s.aws/instance-gpu-count in [1, 4]',
    ],
    [
      'Lt below every value',
      term('karpenter.k8s.aws/instance-gpu-count', 'Lt', ['1']),
      'karpenter.k8s.aws/instance-gpu-count Lt [1]: pool gpu has karpenter.k8s.aws/instance-gpu-count in [1, 4]',
    ],
    ['In of a value the pool excludes', term('karpenter.sh/capacity-type', 'In', ['spot']), 'karpenter.sh/capacity-type In [spot]: pool gpu excludes spot'],
  ])('fails when a required term is %s', (_, t, why) => {
    const { fits: f, reasons } = fits(t);
    expect(f).toEqual([]);
    expect(reasons.gpu).toEqual([`required node affinity matches no node of pool gpu (term 0: ${why})`]);
  });

  test('fits when one of several terms matches; fails when every expression of each term cannot', () => {
    expect(fits(term('nvidia.com/gpu.present', 'In', ['true']), term('eksai.io/pool', 'In', ['gpu'])).fits).toEqual(['gpu']);
    expect(fits([...term('eksai.io/pool', 'In', ['gpu']), ...term('nvidia.com/gpu.present', 'Exists')]).fits).toEqual([]);
  });

  test('reads required terms from a pod spec (matchExpressions; preferred terms do not constrain)', () => {
    const spec = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'c', operator: 'Exists' }] } }],
        },
      },
    };
    expect(podPlacement(spec).requiredTerms).toEqual([[{ key: 'a', operator: 'In', values: ['b'] }]]);
    expect(podPlacement({ affinity: {} }).requiredTerms).toBeUndefined();
  });
});
