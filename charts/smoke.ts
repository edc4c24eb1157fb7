import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as ray from '../imports/ray.io';
import type { Problem } from '../lib/errors';
import { closest } from '../lib/config/paths';
import type { ClusterConfig, NodePool, Team } from '../lib/config/types';
import { quantityValue } from '../lib/config/quantity';
import { explainNoFit, placement, podPlacement, poolShape } from '../lib/placement';
import { RAY_AUTOSCALER_RESOURCES, RAY_UID, RAY_VERSION } from '../lib/ray';
import { SYNC_WAVES, type Component } from './component';
import { GPU_NODE_SELECTOR, gpuTolerations } from './nvidia';
import { headGroup, VOLCANO_QUEUE_LABEL, workerGroup } from './ray-clusters';
import { IMAGES, SMOKE_IMAGES, SMOKE_RAY_PIP } from './versions';

/**
 * Smoke tests of a cluster: does Karpenter launch a spot CPU node, does a GPU node come up with a working
 * driver and device plugin, does a team's RayCluster run distributed training. They are Argo CD Sync hooks
 * of a child Application without automated sync: nothing runs (or costs GPU hours) until someone runs
 * `argocd app sync smoke`; every sync deletes the previous run (BeforeHookCreation) and starts a new one.
 */

export const SMOKE_NAMESPACE = 'eksai-smoke';

/** Object names (contract: README tells users to look for them). */
export const SMOKE_NAMES = { cpu: 'smoke-cpu', gpu: 'smoke-gpu', rayJob: 'smoke-xgboost' } as const;

/** Argo CD hook annotations: run on every manual sync, replacing the previous run. */
export const SMOKE_HOOK = { 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' } as const;

/** More CPU than the core node group's instances have (m7i/m6i.large: 2 vCPUs): only a new Karpenter node fits the CPU Job. */
export const SMOKE_CPU_REQUEST = '3';

/** How long each smoke run may take before it counts as failed (node launch + image pull + run), in seconds. */
const DEADLINES = { cpu: 900, gpu: 1800, rayJob: 1800 } as const;
/** Finished Jobs (and their pods' logs) stay this long, then Kubernetes deletes them. */
const TTL_SECONDS = 3600;
/** The RayJob's own Ray cluster is deleted this long after the job ends (its nodes then go idle and Karpenter removes them). */
const RAY_CLUSTER_TTL_SECONDS = 300;

/**
 * The smoke RayJob's own Ray cluster, fixed size (no autoscaler): a head that only coordinates (num-cpus 0,
 * it runs the driver) and two workers with room for the two 1-CPU XGBoost training workers plus Ray Data
 * tasks. Its own cluster because KubeRay 1.7 hands every RayJob to the batch scheduler, and Volcano refuses
 * one that selects an existing RayCluster (batchscheduler/volcano handleRayJob: "gang scheduling does not
 * support RayJob ... referencing an existing RayCluster"). Volcano gang-schedules head + workers as one
 * PodGroup (minMember 3) in the team's Queue; smokeProblems checks that Queue and the team quota admit it.
 */
export const SMOKE_RAY_CLUSTER = { head: { cpu: '1', memory: '4Gi' }, workers: { name: 'smoke', replicas: 2, cpu: '2', memory: '4Gi' } } as const;
const SUBMITTER = { cpu: '500m', memory: '512Mi' } as const;

const LABELS = { 'app.kubernetes.io/name': 'eksai-smoke', 'app.kubernetes.io/part-of': 'eksai' } as const;

/** PSA `restricted`: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp. */
function restrictedPod(uid: number): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true } as const;
const NOBODY = 65534;

/**
 * The cpu pool the CPU Job (and the RayJob submitter) target, with the node selector that pins them to it:
 * the first cpu pool with spot capacity, else the first cpu pool, among those the pod can land on.
 * Undefined when no cpu pool fits (a config error, see smokeProblems).
 */
export function smokeCpuTarget(cluster: ClusterConfig): { readonly pool: NodePool; readonly nodeSelector: Readonly<Record<string, string>> } | undefined {
  const cpuPools = cluster.karpenter.nodePools.filter((p) => p.kind === 'cpu');
  const ordered = [...cpuPools.filter((p) => p.capacityTypes.includes('spot')), ...cpuPools.filter((p) => !p.capacityTypes.includes('spot'))];
  for (const pool of ordered) {
    const nodeSelector = { 'eksai.io/pool': pool.name, ...(pool.capacityTypes.includes('spot') ? { 'karpenter.sh/capacity-type': 'spot' } : {}) };
    if (placement({ nodeSelector, tolerations: [], gpus: 0 }, [poolShape(pool)]).fits.length === 1) return { pool, nodeSelector };
  }
  return undefined;
}

/** The team whose RayCluster runs the smoke RayJob (smoke.team, default the first team). */
export function smokeTeam(cluster: ClusterConfig): Team | undefined {
  return cluster.teams.find((t) => t.name === cluster.smoke.team);
}

/** Whether the RayJob is rendered: KubeRay on and the smoke team has its RayCluster (charts/ray-clusters.ts). */
export function smokeRayJobEnabled(cluster: ClusterConfig): boolean {
  return cluster.kuberay.enabled && smokeTeam(cluster)?.ray.enabled === true;
}

function hasGpuPool(cluster: ClusterConfig): boolean {
  return cluster.karpenter.nodePools.some((p) => p.kind === 'gpu');
}

function cpuPodSpec(nodeSelector: Readonly<Record<string, string>>): Record<string, unknown> {
  return {
    restartPolicy: 'Never',
    nodeSelector: { ...nodeSelector },
    securityContext: restrictedPod(NOBODY),
    containers: [
      {
        name: 'smoke',
        image: SMOKE_IMAGES.busybox,
        // $(NODE_NAME) is expanded by Kubernetes, $$(nproc) reaches the shell as $(nproc).
        command: ['sh', '-c', 'echo "eksai smoke: running on $(NODE_NAME) with $$(nproc) CPUs"'],
        env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        resources: { requests: { cpu: SMOKE_CPU_REQUEST, memory: '256Mi' }, limits: { memory: '256Mi' } },
        securityContext: RESTRICTED_CONTAINER,
      },
    ],
  };
}

function gpuPodSpec(cluster: ClusterConfig): Record<string, unknown> {
  return {
    restartPolicy: 'Never',
    nodeSelector: { ...GPU_NODE_SELECTOR },
    tolerations: gpuTolerations(cluster),
    securityContext: restrictedPod(NOBODY),
    containers: [
      {
        name: 'smoke',
        image: SMOKE_IMAGES.cudaBase,
        // Exits non-zero when the driver or the allocated GPU is not visible.
        command: ['nvidia-smi'],
        resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '512Mi', 'nvidia.com/gpu': 1 } },
        securityContext: RESTRICTED_CONTAINER,
      },
    ],
  };
}

/** The RayJob's submitter pod (typed: the RayJob construct renders it), on the same cpu pool as the CPU Job. */
function submitterTemplate(nodeSelector: Readonly<Record<string, string>>): ray.RayJobSpecSubmitterPodTemplate {
  const q = ray.RayJobSpecSubmitterPodTemplateSpecContainersResourcesRequests;
  const l = ray.RayJobSpecSubmitterPodTemplateSpecContainersResourcesLimits;
  return {
    metadata: { labels: { ...LABELS, 'app.kubernetes.io/component': 'xgboost-submitter' } },
    spec: {
      restartPolicy: 'Never',
      nodeSelector: { ...nodeSelector },
      securityContext: { runAsNonRoot: true, runAsUser: RAY_UID, runAsGroup: RAY_UID, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          // KubeRay fills in the `ray job submit` command when the first container has none.
          name: 'ray-job-submitter',
          image: IMAGES.ray,
          resources: {
            requests: { cpu: q.fromString(SUBMITTER.cpu), memory: q.fromString(SUBMITTER.memory) },
            limits: { cpu: l.fromString('1'), memory: l.fromString('1Gi') },
          },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

/**
 * The training script the RayJob runs on the team's RayCluster: Ray Train's XGBoostTrainer (Ray ≥ 2.43
 * API: a per-worker function that calls xgboost.train with RayTrainReportCallback, see
 * docs.ray.io/en/latest/train/api/doc/ray.train.xgboost.XGBoostTrainer.html) on two workers, sklearn's
 * bundled breast-cancer dataset (no download), failing when the validation error is not below 10%. No
 * checkpoints: a multi-node cluster without shared storage could not keep them.
 *
 * It is passed as `python -c "..."`: KubeRay puts the entrypoint into a bash command line and Ray runs it
 * with a shell again, so it must not contain `"`, `$`, backquotes or backslashes (checked in tests).
 */
export const SMOKE_XGBOOST_SCRIPT = `import ray.data, ray.train, xgboost
from ray.train import ScalingConfig
from ray.train.xgboost import RayTrainReportCallback, XGBoostTrainer
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

def train_fn_per_worker(config):
    train = ray.train.get_dataset_shard('train').materialize().to_pandas()
    valid = ray.train.get_dataset_shard('valid').materialize().to_pandas()
    dtrain = xgboost.DMatrix(train.drop(columns='target'), label=train['target'])
    dvalid = xgboost.DMatrix(valid.drop(columns='target'), label=valid['target'])
    params = {'objective': 'binary:logistic', 'eval_metric': ['logloss', 'error'], 'tree_method': 'hist', 'max_depth': 3}
    xgboost.train(params, dtrain, num_boost_round=30, evals=[(dvalid, 'valid')],
                  callbacks=[RayTrainReportCallback(metrics=['valid-error'], checkpoint_at_end=False)])

df = load_breast_cancer(as_frame=True).frame
train_df, valid_df = train_test_split(df, test_size=0.25, random_state=0, stratify=df['target'])
trainer = XGBoostTrainer(train_fn_per_worker,
                         datasets={'train': ray.data.from_pandas(train_df), 'valid': ray.data.from_pandas(valid_df)},
                         scaling_config=ScalingConfig(num_workers=2, resources_per_worker={'CPU': 1}))
error = trainer.fit().metrics['valid-error']
print('eksai smoke: distributed XGBoost on breast_cancer, validation error', error)
assert error < 0.1, 'validation error too high'
`;

/** runtimeEnvYAML: the pinned pip packages, installed into a per-job virtualenv on the Ray nodes. */
export function smokeRuntimeEnvYaml(): string {
  return `pip:\n  packages:\n${SMOKE_RAY_PIP.map((p) => `    - ${p}\n`).join('')}`;
}

/** Every smoke pod spec the cluster renders, by object name (what smokeProblems checks against the pools). */
export function smokePodSpecs(cluster: ClusterConfig): Map<string, Record<string, unknown>> {
  const pods = new Map<string, Record<string, unknown>>();
  const target = smokeCpuTarget(cluster);
  if (target) pods.set(SMOKE_NAMES.cpu, cpuPodSpec(target.nodeSelector));
  if (hasGpuPool(cluster)) pods.set(SMOKE_NAMES.gpu, gpuPodSpec(cluster));
  const team = smokeTeam(cluster);
  if (target && team && smokeRayJobEnabled(cluster)) {
    const rendered = ray.RayJob.manifest({ spec: { submitterPodTemplate: submitterTemplate(target.nodeSelector) } }) as {
      spec: { submitterPodTemplate: { spec: Record<string, unknown> } };
    };
    pods.set(`${SMOKE_NAMES.rayJob} submitter`, rendered.spec.submitterPodTemplate.spec);
    const spec = smokeRayClusterSpec(team, target.pool) as {
      headGroupSpec: { template: { spec: Record<string, unknown> } };
      workerGroupSpecs: { template: { spec: Record<string, unknown> } }[];
    };
    pods.set(`${SMOKE_NAMES.rayJob} head`, spec.headGroupSpec.template.spec);
    pods.set(`${SMOKE_NAMES.rayJob} workers`, spec.workerGroupSpecs[0]!.template.spec);
  }
  return pods;
}

/**
 * The RayJob's rayClusterSpec as plain JSON (imports/ray.io.ts trims RayJob's embedded RayClusterSpec, see
 * IMPORT_TRIM in lib/schemas/pins.ts; the typed RayCluster construct builds it; validate checks it against the full CRD).
 * Pods carry the team label like the team's RayCluster, so the team NetworkPolicies cover them.
 */
export function smokeRayClusterSpec(team: Team, workerPool: NodePool): Record<string, unknown> {
  const { head, workers } = SMOKE_RAY_CLUSTER;
  const group = {
    name: workers.name,
    cpu: workers.cpu,
    memory: workers.memory,
    gpus: 0,
    minReplicas: workers.replicas,
    maxReplicas: workers.replicas,
    pool: workerPool.name,
    capacityType: workerPool.capacityTypes.includes('spot') ? ('spot' as const) : undefined,
  };
  const manifest = ray.RayCluster.manifest({
    metadata: { name: SMOKE_NAMES.rayJob },
    spec: {
      rayVersion: RAY_VERSION,
      enableInTreeAutoscaling: false,
      headGroupSpec: headGroup(team, head),
      workerGroupSpecs: [{ ...workerGroup(team, group), replicas: workers.replicas }],
    },
  }) as { spec: Record<string, unknown> };
  return manifest.spec;
}

/** What Volcano's PodGroup for the smoke RayJob asks for (head + workers + submitter, KubeRay handleRayJob), in cores and bytes. */
export function smokeRayJobDemand(): { readonly cpu: number; readonly memory: number } {
  const { head, workers } = SMOKE_RAY_CLUSTER;
  return {
    cpu: quantityValue(head.cpu) + workers.replicas * quantityValue(workers.cpu) + quantityValue(SUBMITTER.cpu),
    memory: quantityValue(head.memory) + workers.replicas * quantityValue(workers.memory) + quantityValue(SUBMITTER.memory),
  };
}

/**
 * Config problems of the smoke tests, on the normalised config (pools with their kind defaults). Errors: an
 * unknown smoke.team, cpu pools none of which accepts the CPU Job, any rendered smoke pod that fits no
 * NodePool (lib/placement.ts). Warning: no cpu pool at all (a GPU-only cluster stays valid; its CPU Job and
 * RayJob are simply not rendered).
 */
export function smokeProblems(cluster: ClusterConfig): { readonly errors: Problem[]; readonly warnings: Problem[] } {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  if (!cluster.smoke.enabled) return { errors: problems, warnings };
  const file = cluster.file;
  const teams = cluster.teams.map((t) => t.name);
  if (cluster.smoke.team !== undefined && !teams.includes(cluster.smoke.team)) {
    const guess = closest(cluster.smoke.team, teams);
    problems.push({
      file,
      path: 'smoke.team',
      message: 'is not a team of this cluster',
      value: cluster.smoke.team,
      fix: guess ? `did you mean '${guess}'?` : teams.length > 0 ? `use one of ${teams.join(', ')}` : 'add the team to teams, or remove smoke.team',
    });
  }
  const cpuPools = cluster.karpenter.nodePools.filter((p) => p.kind === 'cpu');
  if (cpuPools.length === 0) {
    warnings.push({
      file,
      path: 'smoke.enabled',
      message: 'is on but the cluster has no cpu pool: the smoke CPU Job and RayJob are left out',
      value: true,
      fix: "add a pool with kind: 'cpu', or set smoke: { enabled: false }",
    });
  } else if (!smokeCpuTarget(cluster)) {
    const shapes = cpuPools.map(poolShape);
    const why = explainNoFit(shapes, placement({ nodeSelector: {}, tolerations: [], gpus: 0 }, shapes).reasons);
    problems.push({
      file,
      path: 'smoke.enabled',
      message: `is on but no cpu NodePool accepts the smoke CPU Job: ${why}`,
      value: true,
      fix: "add a kind: 'cpu' pool without taints, or set smoke: { enabled: false }",
    });
  }
  const team = smokeTeam(cluster);
  if (team && smokeRayJobEnabled(cluster)) problems.push(...smokeRayJobFits(cluster, team));
  const shapes = cluster.karpenter.nodePools.map(poolShape);
  for (const [name, spec] of smokePodSpecs(cluster)) {
    const fit = placement(podPlacement(spec), shapes);
    if (fit.fits.length === 0) {
      problems.push({
        file,
        path: 'smoke.enabled',
        message: `is on but smoke pod ${name} fits no NodePool: ${explainNoFit(shapes, fit.reasons)}`,
        value: true,
        fix: 'make a pool accept it (labels, taints), or set smoke: { enabled: false }',
      });
    }
  }
  return { errors: problems, warnings };
}

/**
 * The smoke RayJob's cluster must fit the team's Volcano Queue capability (else its PodGroup never gets
 * resources) and, next to the team RayCluster's head and autoscaler (always running), its ResourceQuota
 * (else the API server rejects pods). Ray pods set requests = limits, so requests and limits quotas count.
 */
function smokeRayJobFits(cluster: ClusterConfig, team: Team): Problem[] {
  const need = smokeRayJobDemand();
  const headCpu = quantityValue(team.ray.head.cpu) + quantityValue(RAY_AUTOSCALER_RESOURCES.cpu);
  const headMemory = quantityValue(team.ray.head.memory) + quantityValue(RAY_AUTOSCALER_RESOURCES.memory);
  const gi = (bytes: number) => `${+(bytes / 1024 ** 3).toFixed(2)}Gi`;
  const limits: [string, string | undefined, number, (n: number) => string, number][] = [
    [`teams[${team.name}].queue.capability.cpu`, team.queue.capability.cpu, need.cpu, String, 0],
    [`teams[${team.name}].queue.capability.memory`, team.queue.capability.memory, need.memory, gi, 0],
    [`teams[${team.name}].quota.requests.cpu`, team.quota.requests.cpu, need.cpu, String, headCpu],
    [`teams[${team.name}].quota.limits.cpu`, team.quota.limits.cpu, need.cpu, String, headCpu],
    [`teams[${team.name}].quota.requests.memory`, team.quota.requests.memory, need.memory, gi, headMemory],
    [`teams[${team.name}].quota.limits.memory`, team.quota.limits.memory, need.memory, gi, headMemory],
  ];
  const problems: Problem[] = [];
  for (const [path, hard, demand, text, inUse] of limits) {
    if (hard === undefined || demand + inUse <= quantityValue(hard)) continue;
    const besides = inUse > 0 ? ` besides the team RayCluster's head (${text(inUse)})` : '';
    problems.push({
      file: cluster.file,
      path,
      message: `is too small for the smoke RayJob's Ray cluster, which needs ${text(demand)}${besides} (SMOKE_RAY_CLUSTER in charts/smoke.ts)`,
      value: hard,
      fix: `raise it to at least ${text(demand + inUse)}, pick another smoke.team, or set smoke: { enabled: false }`,
    });
  }
  return problems;
}

function job(scope: Construct, name: string, component: string, deadline: number, spec: Record<string, unknown>): void {
  new ApiObject(scope, name, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: SMOKE_NAMESPACE, labels: { ...LABELS, 'app.kubernetes.io/component': component }, annotations: { ...SMOKE_HOOK } },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: deadline,
      ttlSecondsAfterFinished: TTL_SECONDS,
      template: {
        // A consolidation must not kill a run halfway.
        metadata: { labels: { ...LABELS, 'app.kubernetes.io/component': component }, annotations: { 'karpenter.sh/do-not-disrupt': 'true' } },
        spec,
      },
    },
  });
}

/** Props of the smoke chart. */
export interface SmokeChartProps {
  readonly cluster: ClusterConfig;
}

/** The smoke Jobs and RayJob of one cluster, rendered plain into dist/<cluster>/smoke/. */
export class SmokeChart extends Construct {
  constructor(scope: Construct, id: string, props: SmokeChartProps) {
    super(scope, id);
    const { cluster } = props;
    const pods = smokePodSpecs(cluster);
    const cpu = pods.get(SMOKE_NAMES.cpu);
    if (cpu) job(this, SMOKE_NAMES.cpu, 'cpu', DEADLINES.cpu, cpu);
    const gpu = pods.get(SMOKE_NAMES.gpu);
    if (gpu) job(this, SMOKE_NAMES.gpu, 'gpu', DEADLINES.gpu, gpu);
    const target = smokeCpuTarget(cluster);
    const team = smokeTeam(cluster);
    if (target && team && smokeRayJobEnabled(cluster)) {
      const volcano = cluster.kuberay.batchScheduler === 'volcano';
      // Typed through RayJob.manifest, then a plain ApiObject: the imported RayJob class drops the trimmed rayClusterSpec field.
      const manifest = ray.RayJob.manifest({
        metadata: {
          name: SMOKE_NAMES.rayJob,
          namespace: team.namespace,
          // KubeRay copies the queue label from the RayJob onto the PodGroup it creates (createPodGroup).
          labels: { ...LABELS, 'app.kubernetes.io/component': 'xgboost', ...(volcano ? { [VOLCANO_QUEUE_LABEL]: team.queue.name } : {}) },
          annotations: { ...SMOKE_HOOK },
        },
        spec: {
          // Its own Ray cluster (SMOKE_RAY_CLUSTER), deleted after the job ends.
          shutdownAfterJobFinishes: true,
          ttlSecondsAfterFinished: RAY_CLUSTER_TTL_SECONDS,
          submissionMode: 'K8sJobMode',
          entrypoint: `python -c "${SMOKE_XGBOOST_SCRIPT}"`,
          runtimeEnvYaml: smokeRuntimeEnvYaml(),
          activeDeadlineSeconds: DEADLINES.rayJob,
          backoffLimit: 0,
          submitterPodTemplate: submitterTemplate(target.nodeSelector),
        },
      }) as { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };
      new ApiObject(this, SMOKE_NAMES.rayJob, { ...manifest, spec: { ...manifest.spec, rayClusterSpec: smokeRayClusterSpec(team, target.pool) } });
    }
  }
}

/**
 * Smoke tests (plain): a child Application that never syncs by itself (syncPolicy 'manual'), whose
 * objects are all Sync hooks. Last wave: it needs node pools, the device plugin and KubeRay.
 */
export const smoke: Component = {
  name: 'smoke',
  description: 'Smoke tests (Karpenter CPU scale-up, GPU, Ray XGBoost), run by a manual sync',
  namespace: SMOKE_NAMESPACE,
  podSecurity: 'restricted',
  wave: SYNC_WAVES.smoke,
  enabled: (c) => c.smoke.enabled,
  build: (chart, cluster) => new SmokeChart(chart, 'Resource', { cluster }),
  // The RayJob CRD comes with the kuberay-operator app.
  syncOptions: ['SkipDryRunOnMissingResource=true'],
  syncPolicy: 'manual',
  namespaces: (cluster) => (smokeRayJobEnabled(cluster) ? [smokeTeam(cluster)!.namespace] : []),
};
