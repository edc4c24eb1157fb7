import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS } from '../../charts';
import { PLATFORM_NAMESPACES } from '../../charts/component';
import { ARGOCD_NAMESPACE } from '../../apps/argocd-cm';
import { RAY_DEFAULTS, RESERVED_NAMESPACES } from '../../lib/config/defaults';
import { REPO, loadErrors, loadOk, minimalInput } from '../helpers';
import { clusters } from '../../clusters';

const nodeClasses = [{ name: 'default', amiAlias: 'al2023@v20251117' }];
const cpuOnly = { nodeClasses, nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 100 } }] };
const group = (patch: Record<string, unknown> = {}) => ({ name: 'cpu', cpu: 4, memory: '16Gi', maxReplicas: 2, ...patch });

describe('team defaults', () => {
  test('the ray contract names stay fixed; Ray is on with KubeRay, with a spot CPU group and a GPU group when a gpu pool exists', () => {
    const team = loadOk(minimalInput({ teams: [{ name: 'research' }] })).teams[0]!;
    expect(team.ray).toMatchObject({
      clusterName: 'ray',
      headService: 'ray-head',
      clientAddress: 'ray://ray-head.research.svc:10001',
      dashboardAddress: 'http://ray-head.research.svc:8265',
      enabled: true,
      head: { cpu: '2', memory: '8Gi' },
    });
    expect(team.ray.workerGroups).toEqual([
      { ...RAY_DEFAULTS.cpuGroup, pool: undefined, capacityType: 'spot' },
      { ...RAY_DEFAULTS.gpuGroup, pool: undefined, capacityType: undefined },
    ]);
  });

  test('the default GPU group never outgrows the GPU quota, and is left out when the team may use no GPUs', () => {
    const groups = (gpu: number) =>
      loadOk(minimalInput({ teams: [{ name: 'a', queue: { capability: { gpu } } }] })).teams[0]!.ray.workerGroups.map((g) => `${g.name}:${g.maxReplicas}`);
    expect(groups(2)).toEqual(['cpu:10', 'gpu:2']);
    expect(groups(0)).toEqual(['cpu:10']);
  });

  test('no gpu pool → no GPU group; KubeRay off → Ray off', () => {
    expect(loadOk(minimalInput({ karpenter: cpuOnly, teams: [{ name: 'a' }] })).teams[0]!.ray.workerGroups.map((g) => g.name)).toEqual(['cpu']);
    expect(loadOk(minimalInput({ kuberay: { enabled: false }, teams: [{ name: 'a' }] })).teams[0]!.ray.enabled).toBe(false);
  });

  test('quota cpu/memory/gpu come from the queue capability, the rest and container defaults from the environment layer', () => {
    const dev = loadOk(minimalInput({ teams: [{ name: 'a', queue: { capability: { cpu: 64, memory: '256Gi', gpu: 4 } } }] })).teams[0]!;
    expect(dev.quota).toEqual({
      requests: { cpu: '64', memory: '256Gi' },
      limits: { cpu: '64', memory: '256Gi' },
      gpu: 4,
      pods: 100,
      persistentVolumeClaims: 20,
      storage: '500Gi',
    });
    expect(dev.containerDefaults).toEqual({ request: { cpu: '100m', memory: '256Mi' }, limit: { cpu: '1', memory: '1Gi' } });
    const prod = loadOk(
      minimalInput({
        environment: 'prod',
        jupyterhub: { enabled: false },
        teams: [{ name: 'a', quota: { pods: 50, limits: { cpu: 128 } }, containerDefaults: { limit: { memory: '2Gi' } } }],
      }),
    ).teams[0]!;
    expect(prod.quota).toEqual({
      requests: { cpu: undefined, memory: undefined },
      limits: { cpu: '128', memory: undefined },
      gpu: undefined,
      pods: 50,
      persistentVolumeClaims: 50,
      storage: '2Ti',
    });
    expect(prod.containerDefaults).toEqual({ request: { cpu: '250m', memory: '512Mi' }, limit: { cpu: '1', memory: '2Gi' } });
  });

  test('a CPU group pinned to an on-demand-only pool gets no spot selector', () => {
    const karpenter = { nodeClasses, nodePools: [...cpuOnly.nodePools, { name: 'od', kind: 'cpu', capacityTypes: ['on-demand'], limits: { cpu: 10 } }] };
    const team = loadOk(minimalInput({ karpenter, teams: [{ name: 'a', ray: { workerGroups: [group({ pool: 'od' })] } }] })).teams[0]!;
    expect(team.ray.workerGroups[0]).toMatchObject({ pool: 'od', capacityType: undefined, minReplicas: 0, gpus: 0 });
  });
});

describe('team Ray rules', () => {
  test('fails when a GPU worker group has no gpu pool (names the group and every pool with why)', () => {
    const errors = loadErrors(minimalInput({ karpenter: cpuOnly, teams: [{ name: 'research', ray: { workerGroups: [group({ name: 'train', gpus: 1 })] } }] }));
    expect(errors).toEqual([
      'clusters/minimal.ts: teams[research].ray.workerGroups[train] fits no NodePool, so its pods would stay Pending: nodeSelector eksai.io/pool-kind=gpu: pool general has eksai.io/pool-kind in [cpu]; the pod requests nvidia.com/gpu: 1 and pool general has no GPU instance types (got {"eksai.io/pool-kind":"gpu"}): add a karpenter node pool with kind: \'gpu\', or set gpus: 0 on the group',
    ]);
  });

  test('fails when maxReplicas < minReplicas and when a pinned pool does not exist (did you mean)', () => {
    const errors = loadErrors(
      minimalInput({ teams: [{ name: 'research', ray: { workerGroups: [group({ minReplicas: 3, maxReplicas: 2, pool: 'generl' })] } }] }),
    );
    expect(errors).toEqual([
      'clusters/minimal.ts: teams[research].ray.workerGroups[cpu].maxReplicas must be >= minReplicas (3) (got 2): raise maxReplicas to at least 3, or lower minReplicas',
      'clusters/minimal.ts: teams[research].ray.workerGroups[cpu].pool refers to node pool "generl", which is not defined (got "generl"): did you mean \'general\'?',
    ]);
  });

  test('fails when no cpu pool offers on-demand capacity for the head', () => {
    const karpenter = { nodeClasses, nodePools: [{ name: 'general', kind: 'cpu', capacityTypes: ['spot'], limits: { cpu: 100 } }] };
    // (JupyterHub off: its on-demand notebook profiles would fail on the same pool, tested in jupyterhub.test.ts.)
    const errors = loadErrors(minimalInput({ karpenter, jupyterhub: { enabled: false }, teams: [{ name: 'research' }] }));
    expect(errors).toEqual([
      'clusters/minimal.ts: teams[research].ray.head fits no NodePool, so its pods would stay Pending: nodeSelector karpenter.sh/capacity-type=on-demand: pool general has karpenter.sh/capacity-type in [spot] (got {"eksai.io/pool-kind":"cpu","karpenter.sh/capacity-type":"on-demand"}): give a cpu pool on-demand capacity (capacityTypes: [\'spot\', \'on-demand\']), or pin the head to such a pool with head.pool',
    ]);
  });

  test('fails when a CPU group is pinned to the tainted gpu pool', () => {
    const errors = loadErrors(minimalInput({ teams: [{ name: 'research', ray: { workerGroups: [group({ pool: 'gpu' })] } }] }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('teams[research].ray.workerGroups[cpu] fits no NodePool');
    expect(errors[0]).toContain('pool gpu taints its nodes nvidia.com/gpu:NoSchedule and the pod does not tolerate it');
  });

  test('fails when ray is enabled but KubeRay is not, and when group names repeat', () => {
    expect(loadErrors(minimalInput({ kuberay: { enabled: false }, teams: [{ name: 'research', ray: { enabled: true } }] }))).toEqual([
      'clusters/minimal.ts: teams[research].ray.enabled is true but kuberay.enabled is false: nothing would reconcile the RayCluster (got true): remove ray.enabled, or turn kuberay on',
    ]);
    const dup = loadErrors(minimalInput({ teams: [{ name: 'research', ray: { workerGroups: [group(), group()] } }] }));
    expect(dup).toEqual([
      'clusters/minimal.ts: teams[research].ray.workerGroups[cpu] duplicate worker group name (got "cpu"): give each worker group a unique name (it becomes the ray.io/group label)',
    ]);
  });

  test('fails when the quota cannot admit the head plus one pod of a group (requests = limits, so both are named)', () => {
    const errors = loadErrors(minimalInput({ teams: [{ name: 'research', queue: { capability: { cpu: 5 } } }] }));
    expect(errors).toEqual([
      'clusters/minimal.ts: teams[research].ray.workerGroups[cpu] the Ray head plus one pod of this group needs cpu 6.5 but the team ResourceQuota allows requests.cpu 5, limits.cpu 5: the API server would reject the pod: raise teams[research].quota.requests.cpu and teams[research].quota.limits.cpu (default: queue.capability), or make the pods smaller',
    ]);
    const gpu = loadErrors(
      minimalInput({ teams: [{ name: 'research', queue: { capability: { gpu: 2 } }, ray: { workerGroups: [group({ name: 'big', gpus: 4 })] } }] }),
    );
    expect(gpu).toEqual([
      'clusters/minimal.ts: teams[research].ray.workerGroups[big] the Ray head plus one pod of this group needs gpu 4 but the team ResourceQuota allows requests.nvidia.com/gpu 2: the API server would reject the pod: raise teams[research].quota.gpu (default: queue.capability), or make the pods smaller',
    ]);
  });

  test('fails when the head alone exceeds the quota (reported once, not again per group)', () => {
    const errors = loadErrors(minimalInput({ teams: [{ name: 'research', quota: { limits: { memory: '4Gi' } } }] }));
    expect(errors).toEqual([
      'clusters/minimal.ts: teams[research].ray.head the Ray head with its autoscaler needs memory 8.5Gi but the team ResourceQuota allows limits.memory 4Gi: the API server would reject the pod: raise teams[research].quota.limits.memory (default: queue.capability), or make the pods smaller',
    ]);
  });

  test('fails when a container default request exceeds the default limit', () => {
    expect(loadErrors(minimalInput({ teams: [{ name: 'research', containerDefaults: { request: { cpu: 2 } } }] }))).toEqual([
      'clusters/minimal.ts: teams[research].containerDefaults.request.cpu must be <= the default limit (1) (got "2"): lower it, or raise containerDefaults.limit.cpu',
    ]);
  });

  test('fails when a team is named after a system or platform namespace', () => {
    expect(loadErrors(minimalInput({ teams: [{ name: 'monitoring' }] }))).toEqual([
      `clusters/minimal.ts: teams[monitoring].name is a system or platform namespace: the team would share it (quota, default-deny NetworkPolicies) with platform pods (got "monitoring"): rename the team (reserved: ${RESERVED_NAMESPACES.join(', ')})`,
    ]);
  });

  test('the reserved namespaces cover Argo CD, the platform table and every component of the example clusters', () => {
    const used = [ARGOCD_NAMESPACE, ...Object.values(PLATFORM_NAMESPACES), ...COMPONENTS.map((c) => c.namespace)];
    expect(used.filter((n) => !RESERVED_NAMESPACES.includes(n))).toEqual([]);
    // Each example cluster with its own lookups file (prod's carries the EFS id its storage.efs needs).
    const teamNamespaces = Object.entries(clusters).flatMap(([name, input]) =>
      loadOk(input, JSON.parse(readFileSync(join(REPO, 'clusters', `${name}.lookups.json`), 'utf8'))).teams.map((t) => t.namespace),
    );
    expect(teamNamespaces.filter((n) => RESERVED_NAMESPACES.includes(n))).toEqual([]);
  });

  test('fails when a worker group key is misspelled (strict schema)', () => {
    const errors = loadErrors(minimalInput({ teams: [{ name: 'research', ray: { workerGroups: [group({ maxReplica: 3 })] } }] }));
    expect(errors[0]).toContain("teams[research].ray.workerGroups[cpu].maxReplica is not a known key: did you mean 'maxReplicas'?");
  });
});
