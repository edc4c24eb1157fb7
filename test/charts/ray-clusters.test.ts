import { describe, expect, test } from 'vitest';
import { rayClusters } from '../../charts/ray-clusters';
import { IMAGES } from '../../charts/versions';
import { RAY_VERSION } from '../../lib/ray';
import { chartObjects, find, loadOk, minimalInput } from '../helpers';

interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
}
interface Template {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; nodeSelector: Record<string, string>; tolerations?: unknown[]; securityContext: Record<string, unknown> };
}
interface Spec {
  rayVersion: string;
  enableInTreeAutoscaling: boolean;
  autoscalerOptions: Record<string, unknown>;
  headGroupSpec: { headService: { metadata: { name: string } }; rayStartParams: Record<string, string>; template: Template };
  workerGroupSpecs: { groupName: string; minReplicas: number; maxReplicas: number; replicas?: number; template: Template }[];
}

const config = loadOk(
  minimalInput({
    teams: [{ name: 'research' }, { name: 'ml-eng', ray: { workerGroups: [{ name: 'big', cpu: 16, memory: '64Gi', maxReplicas: 3, minReplicas: 1 }] } }],
  }),
);
const objects = chartObjects(config, 'ray-clusters');
const research = objects.find((o) => o.metadata.namespace === 'research')!;
const spec = research.spec as Spec;
const group = (name: string) => spec.workerGroupSpecs.find((g) => g.groupName === name)!;

describe('ray-clusters component', () => {
  test('one RayCluster per team, named by the team contract, in the team namespace, with the Volcano scheduler and queue labels', () => {
    expect(objects.map((o) => `${o.metadata.namespace}/${o.kind}/${o.metadata.name}`)).toEqual(['research/RayCluster/ray', 'ml-eng/RayCluster/ray']);
    expect(research.apiVersion).toBe('ray.io/v1');
    expect(research.metadata.labels).toEqual({ 'eksai.io/team': 'research', 'volcano.sh/queue-name': 'research' });
    const noVolcano = chartObjects(loadOk(minimalInput({ kuberay: { batchScheduler: 'none' }, teams: [{ name: 'a' }] })), 'ray-clusters');
    expect(noVolcano[0]!.metadata.labels).toEqual({ 'eksai.io/team': 'a' });
  });

  test('the head Service is named by the contract (team.ray.headService), so RAY_ADDRESS resolves', () => {
    expect(spec.headGroupSpec.headService.metadata.name).toBe(config.teams[0]!.ray.headService);
    expect(config.teams[0]!.ray.clientAddress).toBe(`ray://${spec.headGroupSpec.headService.metadata.name}.research.svc:10001`);
  });

  test('head: on-demand cpu capacity, do-not-disrupt, no tasks (num-cpus 0), named ports, requests = limits', () => {
    const head = spec.headGroupSpec.template;
    expect(head.metadata.annotations).toEqual({ 'karpenter.sh/do-not-disrupt': 'true' });
    expect(head.spec.nodeSelector).toEqual({ 'eksai.io/pool-kind': 'cpu', 'karpenter.sh/capacity-type': 'on-demand' });
    expect(spec.headGroupSpec.rayStartParams).toMatchObject({ 'num-cpus': '0' });
    const c = head.spec.containers[0]!;
    expect(c.ports).toEqual([
      { name: 'gcs', containerPort: 6379 },
      { name: 'dashboard', containerPort: 8265 },
      { name: 'client', containerPort: 10001 },
      { name: 'metrics', containerPort: 8080 },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '2', memory: '8Gi' } });
    expect(c.image).toBe(IMAGES.ray);
    expect(spec.rayVersion).toBe(RAY_VERSION);
  });

  test('CPU worker group on spot, scale to zero, no replicas field (the autoscaler owns it)', () => {
    const cpu = group('cpu');
    expect(cpu).toMatchObject({ minReplicas: 0, maxReplicas: 10 });
    expect(cpu.replicas).toBeUndefined();
    expect(cpu.template.spec.nodeSelector).toEqual({ 'eksai.io/pool-kind': 'cpu', 'karpenter.sh/capacity-type': 'spot' });
    expect(cpu.template.spec.tolerations).toBeUndefined();
    expect(cpu.template.spec.containers[0]!.ports).toEqual([{ name: 'metrics', containerPort: 8080 }]);
  });

  test('GPU worker group tolerates the GPU taint, limits nvidia.com/gpu and runs the GPU image', () => {
    const gpu = group('gpu');
    expect(gpu.template.spec.nodeSelector).toEqual({ 'eksai.io/pool-kind': 'gpu' });
    expect(gpu.template.spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(gpu.template.spec.containers[0]!.resources.limits).toMatchObject({ 'nvidia.com/gpu': '1' });
    expect(gpu.template.spec.containers[0]!.image).toBe(IMAGES.rayGpu);
  });

  test('configured worker groups replace the defaults', () => {
    const mlEng = objects.find((o) => o.metadata.namespace === 'ml-eng')!.spec as Spec;
    expect(mlEng.workerGroupSpecs.map((g) => [g.groupName, g.minReplicas, g.maxReplicas])).toEqual([['big', 1, 3]]);
    expect(mlEng.workerGroupSpecs[0]!.template.spec.containers[0]!.resources.requests).toEqual({ cpu: '16', memory: '64Gi' });
  });

  test('in-tree autoscaling; every Ray container and the autoscaler meet PSA restricted as uid 1000', () => {
    expect(spec.enableInTreeAutoscaling).toBe(true);
    expect(spec.autoscalerOptions).toMatchObject({
      upscalingMode: 'Default',
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
    });
    for (const t of [spec.headGroupSpec.template, ...spec.workerGroupSpecs.map((g) => g.template)]) {
      expect(t.spec.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 100,
        fsGroup: 100,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(t.spec.containers[0]!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(t.metadata.labels).toEqual({ 'eksai.io/team': 'research' });
    }
  });

  test('enabled only with KubeRay and a team with Ray; synced with server-side apply after the CRDs exist', () => {
    expect(rayClusters.enabled(config)).toBe(true);
    expect(rayClusters.enabled(loadOk(minimalInput({ kuberay: { enabled: false }, teams: [{ name: 'a' }] })))).toBe(false);
    expect(rayClusters.enabled(loadOk(minimalInput({ teams: [{ name: 'a', ray: { enabled: false } }] })))).toBe(false);
    expect(rayClusters.syncOptions).toEqual(['ServerSideApply=true', 'SkipDryRunOnMissingResource=true']);
    expect(find(chartObjects(config, 'apps'), 'Application', 'ray-clusters').metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '20' });
  });
});
