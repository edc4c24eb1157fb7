import { describe, expect, test } from 'vitest';
import { chartObjects, find, loadOk, minimalInput } from '../helpers';

describe('node-pools chart', () => {
  const objects = chartObjects(loadOk(minimalInput()), 'node-pools');

  test('every NodePool carries the Cilium startup taint when Cilium is on', () => {
    for (const pool of objects.filter((o) => o.kind === 'NodePool')) {
      expect(pool).toMatchObject({
        spec: { template: { spec: { startupTaints: [{ key: 'node.cilium.io/agent-not-ready', value: 'true', effect: 'NoExecute' }] } } },
      });
    }
  });

  test('no startup taint when Cilium is off', () => {
    const off = chartObjects(loadOk(minimalInput({ cilium: { enabled: false } })), 'node-pools');
    expect((find(off, 'NodePool', 'general').spec as any).template.spec.startupTaints).toBeUndefined();
  });

  test('the gpu pool is tainted, on-demand, WhenEmpty and limited in GPUs', () => {
    const spec = find(objects, 'NodePool', 'gpu').spec as any;
    expect(spec.template.spec.taints).toEqual([{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }]);
    expect(spec.template.spec.requirements).toContainEqual({ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] });
    expect(spec.template.spec.requirements).toContainEqual({ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['g5', 'g6', 'g6e'] });
    expect(spec.disruption).toMatchObject({ consolidationPolicy: 'WhenEmpty' });
    expect(spec.limits).toEqual({ 'nvidia.com/gpu': 2 });
  });

  test('the cpu pool is broad c/m/r, generation > 4, spot and on-demand, with expiry and grace period', () => {
    const spec = find(objects, 'NodePool', 'general').spec as any;
    expect(spec.template.spec.requirements).toEqual(
      expect.arrayContaining([
        { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'] },
        { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['4'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
      ]),
    );
    expect(spec.template.spec).toMatchObject({
      expireAfter: '168h',
      terminationGracePeriod: '24h',
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
    });
    expect(spec).toMatchObject({ weight: 50, limits: { cpu: '100' }, disruption: { budgets: [{ nodes: '20%' }] } });
  });

  test('EC2NodeClass: pinned alias, role from lookups, discovery selectors, IMDSv2 hop limit 1, encrypted gp3', () => {
    expect(find(objects, 'EC2NodeClass', 'default').spec).toMatchObject({
      amiSelectorTerms: [{ alias: 'al2023@v20251117' }],
      role: 'minimal-karpenter-node',
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'minimal' } }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'minimal' } }],
      metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{ deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '100Gi', volumeType: 'gp3', encrypted: true } }],
      tags: { 'eksai.io/cluster': 'minimal' },
    });
  });

  test('Bottlerocket gets its xvdb data volume', () => {
    const input = minimalInput({
      karpenter: {
        nodeClasses: [{ name: 'default', amiAlias: 'bottlerocket@v1.51.0', dataVolumeGiB: 80 }],
        nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 1 } }],
      },
    });
    const br = chartObjects(loadOk(input), 'node-pools');
    expect((find(br, 'EC2NodeClass', 'default').spec as any).blockDeviceMappings).toEqual([
      { deviceName: '/dev/xvda', ebs: { deleteOnTermination: true, encrypted: true, volumeSize: '4Gi', volumeType: 'gp3' } },
      { deviceName: '/dev/xvdb', rootVolume: true, ebs: { deleteOnTermination: true, encrypted: true, volumeSize: '80Gi', volumeType: 'gp3' } },
    ]);
  });
});
