import { afterAll, describe, expect, test } from 'vitest';
import { dcgmExporter, gpuTolerations, nvidiaDevicePlugin } from '../../charts/nvidia';
import { buildCluster } from '../../pipeline/synth/build';
import { chartObjects, loadErrors, loadOk, minimalInput } from '../helpers';
import { cleanupHelm, helmApps, renderApp } from './render';

describe('nvidia device plugin and dcgm exporter', () => {
  const cluster = loadOk(minimalInput());

  test("tolerate exactly the gpu pools' taints and select GPU nodes only", () => {
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
    const input = minimalInput({
      karpenter: {
        nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }],
        nodePools: [
          { name: 'a100', kind: 'gpu', instanceFamilies: ['p4d'], limits: { gpu: 8 }, taints: [{ key: 'team', value: 'research', effect: 'NoSchedule' }] },
        ],
      },
    });
    expect(gpuTolerations(loadOk(input))).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'team', operator: 'Equal', value: 'research', effect: 'NoSchedule' },
    ]);
  });

  test('off when the cluster has no gpu pool; namespaces are privileged', () => {
    const cpuOnly = loadOk(
      minimalInput({
        karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 } }] },
      }),
    );
    const names = buildCluster(cpuOnly)
      .charts.get('apps')!
      .map((o) => o.metadata.name);
    expect(names).not.toContain('dcgm-exporter');
    const app = buildCluster(cluster)
      .charts.get('apps')!
      .find((o) => o.metadata.name === 'nvidia-device-plugin')!;
    expect((app.spec as any).syncPolicy.managedNamespaceMetadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('fails when dcgmExporter is on without a gpu pool', () => {
    const input = minimalInput({
      gpu: { dcgmExporter: true },
      karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20251117' }], nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 } }] },
    });
    expect(loadErrors(input)).toEqual([
      "clusters/minimal.ts: gpu.dcgmExporter is on but no karpenter node pool has kind gpu (got true): add a pool with kind: 'gpu', or remove the key",
    ]);
  });
});

/** Does a pod's required node affinity and nodeSelector admit a node with these labels (kube-scheduler semantics)? */
function admits(pod: { nodeSelector?: Record<string, string>; affinity?: any }, labels: Record<string, string>): boolean {
  if (!Object.entries(pod.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)) return false;
  const terms: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[] | undefined =
    pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return true;
  // Terms are ORed, expressions within a term ANDed.
  return terms.some((t) =>
    (t.matchExpressions ?? []).every((e) => {
      const v = labels[e.key];
      switch (e.operator) {
        case 'In':
          return v !== undefined && e.values!.includes(v);
        case 'NotIn':
          return v === undefined || !e.values!.includes(v);
        case 'Exists':
          return v !== undefined;
        case 'DoesNotExist':
          return v === undefined;
        default:
          throw new Error(`operator ${e.operator} not modelled`);
      }
    }),
  );
}

describe('nvidia DaemonSets as the real chart renders them', () => {
  afterAll(cleanupHelm);
  const input = minimalInput({
    karpenter: {
      nodeClasses: [
        { name: 'default', amiAlias: 'al2023@v20251117' },
        { name: 'br', amiAlias: 'bottlerocket@v1.51.0' },
      ],
      nodePools: [
        { name: 'general', kind: 'cpu', limits: { cpu: 100 } },
        { name: 'gpu', kind: 'gpu', limits: { gpu: 2 } },
        { name: 'gpu-br', kind: 'gpu', nodeClass: 'br', limits: { gpu: 2 } },
      ],
    },
  });
  const cluster = loadOk(input);
  const poolLabels = (c: typeof cluster) =>
    new Map(
      chartObjects(c, 'node-pools')
        .filter((o) => o.kind === 'NodePool')
        .map((o) => [o.metadata.name, (o.spec as any).template.metadata.labels as Record<string, string>]),
    );
  const daemonSets = (c: typeof cluster, application: string) => {
    const app = helmApps(c).find((a) => a.application === application)!;
    return renderApp(app, c.kubernetesVersion).filter((o) => o.kind === 'DaemonSet');
  };

  test("fails when the device plugin keeps the chart's NFD affinity or lands on Bottlerocket GPU nodes", () => {
    const pools = poolLabels(cluster);
    const plugin = daemonSets(cluster, 'nvidia-device-plugin').find((d) => d.metadata.name === 'nvidia-device-plugin')!;
    const pod = (plugin.spec as any).template.spec;
    expect(JSON.stringify(pod.affinity)).not.toContain('feature.node.kubernetes.io');
    expect(admits(pod, pools.get('gpu')!)).toBe(true);
    expect(admits(pod, pools.get('gpu-br')!)).toBe(false);
    expect(admits(pod, pools.get('general')!)).toBe(false);
  });

  test('fails when DCGM exporter misses a GPU node of either AMI family', () => {
    const pools = poolLabels(cluster);
    const [dcgm] = daemonSets(cluster, 'dcgm-exporter');
    const pod = (dcgm!.spec as any).template.spec;
    expect(admits(pod, pools.get('gpu')!)).toBe(true);
    expect(admits(pod, pools.get('gpu-br')!)).toBe(true);
    expect(admits(pod, pools.get('general')!)).toBe(false);
  });

  test('the device plugin is off when every GPU pool is Bottlerocket (it runs its own), DCGM stays', () => {
    const br = loadOk(
      minimalInput({
        karpenter: { nodeClasses: [{ name: 'default', amiAlias: 'bottlerocket@v1.51.0' }], nodePools: [{ name: 'gpu', kind: 'gpu', limits: { gpu: 2 } }] },
      }),
    );
    const names = helmApps(br).map((a) => a.application);
    expect(names).not.toContain('nvidia-device-plugin');
    expect(names).toContain('dcgm-exporter');
    expect(poolLabels(br).get('gpu')).toMatchObject({ 'eksai.io/ami-family': 'bottlerocket' });
  });
});
