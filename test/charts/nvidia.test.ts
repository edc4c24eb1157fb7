import { describe, expect, test } from 'vitest';
import { dcgmExporter, gpuTolerations, nvidiaDevicePlugin } from '../../charts/nvidia';
import { buildCluster } from '../../lib/synth/build';
import { loadErrors, loadOk, minimalInput } from '../helpers';

describe('nvidia device plugin and dcgm exporter', () => {
  const cluster = loadOk(minimalInput());

  test('tolerate exactly the gpu pools\' taints and select GPU nodes only', () => {
    for (const c of [nvidiaDevicePlugin, dcgmExporter]) {
      expect(c.helm!(cluster).values).toMatchObject({
        nodeSelector: { 'eksai.io/accelerator': 'nvidia' },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      });
    }
    const pools = loadOk(minimalInput()).karpenter.nodePools;
    const gpuPool = pools.find((p) => p.kind === 'gpu')!;
    expect(gpuPool.labels['eksai.io/accelerator']).toBe('nvidia');
  });

  test('a pool-specific taint on a gpu pool is tolerated too', () => {
    const input = minimalInput({ karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'a100', kind: 'gpu', instanceFamilies: ['p4d'], limits: { gpu: 8 }, taints: [{ key: 'team', value: 'research', effect: 'NoSchedule' }] }] } });
    expect(gpuTolerations(loadOk(input))).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'team', operator: 'Equal', value: 'research', effect: 'NoSchedule' },
    ]);
  });

  test('off when the cluster has no gpu pool; namespaces are privileged', () => {
    const cpuOnly = loadOk(minimalInput({ karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 } }] } }));
    const names = buildCluster(cpuOnly).charts.get('apps')!.map((o) => o.metadata.name);
    expect(names).not.toContain('dcgm-exporter');
    const app = buildCluster(cluster).charts.get('apps')!.find((o) => o.metadata.name === 'nvidia-device-plugin')!;
    expect((app.spec as any).syncPolicy.managedNamespaceMetadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('fails when dcgmExporter is on without a gpu pool', () => {
    const input = minimalInput({ gpu: { dcgmExporter: true }, karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 } }] } });
    expect(loadErrors(input)).toEqual(["clusters/minimal.ts: gpu.dcgmExporter is on but no karpenter node pool has kind gpu (got true): add a pool with kind: 'gpu', or remove the key"]);
  });
});
