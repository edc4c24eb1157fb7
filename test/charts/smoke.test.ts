import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SMOKE_HOOK, SMOKE_XGBOOST_SCRIPT } from '../../charts/smoke';
import { RAY_VERSION } from '../../lib/ray';
import { loadCluster } from '../../charts/checks';
import type { Manifest } from '../../pipeline/synth/build';
import { placement, podPlacement, poolShape, type PoolShape } from '../../lib/placement';
import { chartObjects, eksai, find, loadErrors, loadOk, minimalInput, REPO, source, tempRepo } from '../helpers';

const CLASSES = [{ name: 'default', amiAlias: 'al2023@v20251117' }];
const TEAMS = [{ name: 'ml-eng' }, { name: 'research' }];

/** What the core managed node group looks like to the scheduler (terraform/bootstrap: label + CriticalAddonsOnly taint). */
const CORE: PoolShape = {
  name: 'core',
  labels: { 'eksai.io/node-group': { in: ['core'] } },
  taints: [{ key: 'CriticalAddonsOnly', effect: 'NoSchedule' }],
  gpu: false,
};

const podSpec = (o: Manifest) => (o.spec as { template: { spec: Record<string, unknown> } }).template.spec;

describe('smoke tests', () => {
  const dev = loadOk(minimalInput({ teams: TEAMS }));
  const objects = chartObjects(dev, 'smoke');
  const shapes = dev.karpenter.nodePools.map(poolShape);

  test('the CPU Job lands only on the spot cpu pool and needs more CPU than a core node has', () => {
    const job = find(objects, 'Job', 'smoke-cpu');
    const spec = podSpec(job);
    expect(placement(podPlacement(spec), [...shapes, CORE]).fits).toEqual(['general']);
    expect(spec).toMatchObject({
      nodeSelector: { 'eksai.io/pool': 'general', 'karpenter.sh/capacity-type': 'spot' },
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ resources: { requests: { cpu: '3' } }, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    });
    expect(job).toMatchObject({
      metadata: { namespace: 'eksai-smoke', annotations: SMOKE_HOOK },
      spec: { backoffLimit: 0, activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 3600 },
    });
  });

  test('the GPU Job runs nvidia-smi on one GPU of a gpu pool, and only when the cluster has one', () => {
    const spec = podSpec(find(objects, 'Job', 'smoke-gpu'));
    expect(placement(podPlacement(spec), [...shapes, CORE]).fits).toEqual(['gpu']);
    expect(spec).toMatchObject({
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ command: ['nvidia-smi'], resources: { limits: { 'nvidia.com/gpu': 1 } } }],
    });
    const cpuOnly = loadOk(minimalInput({ karpenter: { nodeClasses: CLASSES, nodePools: [{ name: 'general', kind: 'cpu', limits: { cpu: 10 } }] } }));
    expect(chartObjects(cpuOnly, 'smoke').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Job/smoke-cpu']);
  });

  test('fails when the RayJob selects an existing RayCluster: Volcano refuses it (KubeRay 1.7 handleRayJob); it brings its own, deleted after the job', () => {
    const rayJob = find(objects, 'RayJob', 'smoke-xgboost');
    const spec = rayJob.spec as Record<string, any>;
    expect(spec.clusterSelector).toBeUndefined();
    expect(rayJob).toMatchObject({
      apiVersion: 'ray.io/v1',
      metadata: { namespace: 'ml-eng', annotations: SMOKE_HOOK, labels: { 'volcano.sh/queue-name': 'ml-eng' } },
      spec: { shutdownAfterJobFinishes: true, ttlSecondsAfterFinished: 300, submissionMode: 'K8sJobMode', entrypoint: expect.stringMatching(/^python -c "/) },
    });
    // Fixed size (the PodGroup's minMember is replicas + 1 without the autoscaler), head on on-demand, workers on the spot cpu pool.
    expect(spec.rayClusterSpec).toMatchObject({
      rayVersion: RAY_VERSION,
      enableInTreeAutoscaling: false,
      workerGroupSpecs: [{ groupName: 'smoke', replicas: 2, minReplicas: 2, maxReplicas: 2 }],
    });
    expect(spec.rayClusterSpec.headGroupSpec.headService).toBeUndefined();
    expect(placement(podPlacement(spec.rayClusterSpec.headGroupSpec.template.spec), [...shapes, CORE]).fits).toEqual(['general']);
    expect(placement(podPlacement(spec.rayClusterSpec.workerGroupSpecs[0].template.spec), [...shapes, CORE]).fits).toEqual(['general']);
    // The team's NetworkPolicies select its pods (KubeRay adds ray.io/is-ray-node and ray.io/node-type, keeps template labels).
    const netpol = chartObjects(dev, 'teams').find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'ml-eng' && o.metadata.name === 'ray-internal',
    )!;
    const selector = (netpol.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector.matchLabels;
    for (const [type, tpl] of [
      ['head', spec.rayClusterSpec.headGroupSpec.template],
      ['worker', spec.rayClusterSpec.workerGroupSpecs[0].template],
    ] as const) {
      const podLabels = { ...tpl.metadata.labels, 'ray.io/is-ray-node': 'yes', 'ray.io/node-type': type, 'ray.io/cluster': 'smoke-xgboost-abcde' };
      expect(Object.entries(selector).every(([k, v]) => podLabels[k] === v)).toBe(true);
    }
    const submitter = (rayJob.spec as { submitterPodTemplate: { spec: unknown } }).submitterPodTemplate.spec;
    expect(placement(podPlacement(submitter), [...shapes, CORE]).fits).toEqual(['general']);
    const research = loadOk(minimalInput({ teams: TEAMS, smoke: { team: 'research' } }));
    expect(find(chartObjects(research, 'smoke'), 'RayJob', 'smoke-xgboost').metadata.namespace).toBe('research');
    const project = find(chartObjects(research, 'apps'), 'AppProject', 'platform');
    expect((project.spec as { destinations: { namespace: string }[] }).destinations.map((d) => d.namespace)).toEqual(
      expect.arrayContaining(['eksai-smoke', 'research']),
    );
  });

  test('the RayJob script trains XGBoostTrainer on breast cancer and survives two shells; pip deps are pinned', () => {
    expect(SMOKE_XGBOOST_SCRIPT).toContain('XGBoostTrainer(');
    expect(SMOKE_XGBOOST_SCRIPT).toContain('load_breast_cancer(');
    // KubeRay runs the entrypoint in bash, Ray runs it with sh again: these would be rewritten.
    expect(SMOKE_XGBOOST_SCRIPT).not.toMatch(/["$`\\!]/);
    const spec = find(objects, 'RayJob', 'smoke-xgboost').spec as { runtimeEnvYAML: string };
    expect(spec.runtimeEnvYAML).toMatch(/- xgboost==\d+\.\d+\.\d+\n/);
    expect(spec.runtimeEnvYAML).toMatch(/- scikit-learn==\d+\.\d+\.\d+\n/);
  });

  test('no RayJob without KubeRay or without teams', () => {
    expect(chartObjects(loadOk(minimalInput({ teams: TEAMS, kuberay: { enabled: false } })), 'smoke').map((o) => o.kind)).not.toContain('RayJob');
    expect(chartObjects(loadOk(minimalInput()), 'smoke').map((o) => o.kind)).not.toContain('RayJob');
  });

  test('the smoke Application never syncs by itself, even where gitops.sync is auto-prune', () => {
    const app = find(chartObjects(dev, 'apps'), 'Application', 'smoke');
    expect(dev.gitops.sync).toBe('auto-prune');
    expect(app).toMatchObject({
      metadata: { annotations: { 'argocd.argoproj.io/sync-wave': '30' } },
      spec: {
        destination: { namespace: 'eksai-smoke' },
        syncPolicy: { managedNamespaceMetadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
      },
    });
    expect((app.spec as { syncPolicy: Record<string, unknown> }).syncPolicy.automated).toBeUndefined();
    expect(find(chartObjects(dev, 'apps'), 'Application', 'node-pools')).toMatchObject({ spec: { syncPolicy: { automated: { prune: true } } } });
  });

  test('off in prod by default, on when a prod cluster asks for it', () => {
    const prod = loadOk(minimalInput({ environment: 'prod', teams: TEAMS, jupyterhub: { enabled: false } }));
    expect(prod.smoke.enabled).toBe(false);
    expect(chartObjects(prod, 'apps').map((o) => o.metadata.name)).not.toContain('smoke');
    expect(chartObjects(loadOk(minimalInput({ environment: 'prod', smoke: { enabled: true } })), 'smoke').length).toBeGreaterThan(0);
    expect(loadOk(minimalInput({ environment: 'staging' })).smoke.enabled).toBe(true);
  });

  test('warns and leaves out the CPU Job and RayJob when the cluster has no cpu pool', () => {
    // Ray and JupyterHub off: a team's Ray head and the CPU notebook profiles need a cpu pool too (their own errors).
    const input = minimalInput({
      teams: TEAMS.map((t) => ({ ...t, ray: { enabled: false } })),
      jupyterhub: { enabled: false },
      karpenter: { nodeClasses: CLASSES, nodePools: [{ name: 'gpu', kind: 'gpu', limits: { gpu: 2 } }] },
    });
    const result = loadCluster(source(input), REPO);
    expect(result.warnings.map((w) => `${w.path} ${w.message}`)).toContain(
      'smoke.enabled is on but the cluster has no cpu pool: the smoke CPU Job and RayJob are left out',
    );
    expect(chartObjects(loadOk(input), 'smoke').map((o) => o.metadata.name)).toEqual(['smoke-gpu']);
  });

  test("fails when the team's Queue capability or quota cannot hold the smoke RayJob's Ray cluster", () => {
    const team = (queue: unknown, quota?: unknown) => minimalInput({ teams: [{ name: 'ml-eng', queue, ...(quota ? { quota } : {}) }] });
    expect(loadErrors(team({ capability: { cpu: '5' } }, { requests: { cpu: '20' }, limits: { cpu: '20' } }))).toEqual([
      'clusters/minimal.ts: teams[ml-eng].queue.capability.cpu is too small for the smoke RayJob\'s Ray cluster, which needs 5.5 (SMOKE_RAY_CLUSTER in charts/smoke.ts) (got "5"): raise it to at least 5.5, pick another smoke.team, or set smoke: { enabled: false }',
    ]);
    // The quota defaults to the capability and must also hold the team RayCluster's head and autoscaler.
    expect(loadErrors(team({ capability: { cpu: '7' } }))).toEqual([
      'clusters/minimal.ts: teams[ml-eng].quota.requests.cpu is too small for the smoke RayJob\'s Ray cluster, which needs 5.5 besides the team RayCluster\'s head (2.5) (SMOKE_RAY_CLUSTER in charts/smoke.ts) (got "7"): raise it to at least 8, pick another smoke.team, or set smoke: { enabled: false }',
      'clusters/minimal.ts: teams[ml-eng].quota.limits.cpu is too small for the smoke RayJob\'s Ray cluster, which needs 5.5 besides the team RayCluster\'s head (2.5) (SMOKE_RAY_CLUSTER in charts/smoke.ts) (got "7"): raise it to at least 8, pick another smoke.team, or set smoke: { enabled: false }',
    ]);
  });

  test('fails when smoke.team is not a team', () => {
    expect(loadErrors(minimalInput({ teams: TEAMS, smoke: { team: 'reserch' } }))).toEqual([
      'clusters/minimal.ts: smoke.team is not a team of this cluster (got "reserch"): did you mean \'research\'?',
    ]);
  });

  test('fails when every cpu pool has a taint the smoke pods do not tolerate', () => {
    const input = minimalInput({
      karpenter: {
        nodeClasses: CLASSES,
        nodePools: [{ name: 'batch', kind: 'cpu', limits: { cpu: 10 }, taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] }],
      },
    });
    expect(loadErrors(input)).toEqual([
      "clusters/minimal.ts: smoke.enabled is on but no cpu NodePool accepts the smoke CPU Job: pool batch taints its nodes dedicated=batch:NoSchedule and the pod does not tolerate it (got true): add a kind: 'cpu' pool without taints, or set smoke: { enabled: false }",
    ]);
  });

  test('fails when a gpu pool drops the accelerator label the GPU Job selects', () => {
    const input = minimalInput({
      karpenter: {
        nodeClasses: CLASSES,
        nodePools: [
          { name: 'general', kind: 'cpu', limits: { cpu: 10 } },
          { name: 'gpu', kind: 'gpu', limits: { gpu: 2 }, labels: { 'eksai.io/accelerator': 'none' } },
        ],
      },
    });
    expect(loadErrors(input)).toEqual([
      expect.stringMatching(
        /^clusters\/minimal\.ts: smoke\.enabled is on but smoke pod smoke-gpu fits no NodePool: .*nodeSelector eksai\.io\/accelerator=nvidia: pool gpu has eksai\.io\/accelerator in \[none\].*: make a pool accept it/,
      ),
    ]);
  });

  test('what it renders passes `eksai validate` (schemas and KubeRay CEL rules)', () => {
    const dir = tempRepo([{ ...minimalInput({ teams: TEAMS }) }]);
    try {
      expect(eksai(['synth', '--cwd', dir])).toMatchObject({ status: 0 });
      const r = eksai(['validate', '--cwd', dir, join(dir, 'dist', 'minimal', 'smoke')], { EKSAI_SCHEMA_MIRROR: join(REPO, '..', 'shared', 'schemas') });
      expect(r.stdout).toContain('Summary: 3 resources found in 3 files - Valid: 3, Invalid: 0, Errors: 0, Skipped: 0');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
