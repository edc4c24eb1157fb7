import { Construct } from 'constructs';
import * as ray from '../imports/ray.io';
import { RAY_PORTS } from '../lib/config/defaults';
import type { ClusterConfig, RayWorkerGroup, Team } from '../lib/config/types';
import type { PodPlacement } from '../lib/placement';
import { RAY_AUTOSCALER_RESOURCES, RAY_GID, RAY_UID, rayHeadPlacement, rayWorkerPlacement } from '../lib/ray';
import { SYNC_WAVES, type Component } from './component';
import { sharedVolume } from './storage';
import { TEAM_LABEL } from './teams';
import { RAY_VERSION } from '../lib/ray';
import { IMAGES } from './versions';

/**
 * Label that puts a RayCluster's (or RayJob's) PodGroup into a Volcano Queue: KubeRay 1.7.0
 * batchscheduler/volcano/volcano_scheduler.go `QueueNameLabelKey`, read from the owner's labels in
 * createPodGroup. No label picks the scheduler: with `batchScheduler.name: volcano` the operator hands
 * every RayCluster and RayJob to Volcano (raycluster_controller.go / rayjob_controller.go call
 * DoBatchSchedulingOnSubmission unconditionally); KubeRay 1.7 reads no `ray.io/scheduler-name` label.
 */
export const VOLCANO_QUEUE_LABEL = 'volcano.sh/queue-name';

/**
 * Named ports of the Ray containers. KubeRay copies the head container's ports into the head Service
 * (kuberay common/service.go); `metrics` is on every Ray pod (PodMonitors select it by name).
 */
export const RAY_PORT_NAMES = { gcs: 'gcs', dashboard: 'dashboard', client: 'client', metrics: 'metrics' } as const;

/** Pod securityContext of every Ray pod: PSA `restricted` at pod level. */
const POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: RAY_UID,
  runAsGroup: RAY_GID,
  fsGroup: RAY_GID,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Container securityContext of the Ray container and the autoscaler sidecar: PSA `restricted`. */
const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  runAsUser: RAY_UID,
};

/** The autoscaler sidecar KubeRay injects into the head: its resources, and how long an idle worker lives. */
const AUTOSCALER = { ...RAY_AUTOSCALER_RESOURCES, idleTimeoutSeconds: 60 } as const;

/** Quantity constructors of one pod template type (head and worker templates have their own classes). */
interface Quantities<L, R> {
  readonly limit: (v: string) => L;
  readonly request: (v: string) => R;
}

/** The Ray container: requests = limits (Ray sizes its object store and CPU count from them), GPUs as limits. */
function rayContainer<L, R>(
  name: string,
  image: string,
  res: { cpu: string; memory: string; gpus: number },
  ports: { name: string; containerPort: number }[],
  q: Quantities<L, R>,
) {
  const limits: Record<string, L> = { cpu: q.limit(res.cpu), memory: q.limit(res.memory) };
  if (res.gpus > 0) limits['nvidia.com/gpu'] = q.limit(String(res.gpus));
  return {
    name,
    image,
    ports,
    resources: { requests: { cpu: q.request(res.cpu), memory: q.request(res.memory) }, limits },
    securityContext: CONTAINER_SECURITY,
    // Lets in-flight tasks and object spills finish before the container dies (KubeRay recommendation).
    lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'ray stop'] } } },
  };
}

/** The pod spec; a team with shared storage mounts its claim in the Ray container (head and workers alike). */
function podSpec<C extends object>(container: C, place: PodPlacement, team: Team) {
  const shared = sharedVolume(team);
  return {
    containers: [shared ? { ...container, volumeMounts: shared.volumeMounts } : container],
    volumes: shared?.volumes,
    nodeSelector: { ...place.nodeSelector },
    tolerations: place.tolerations.length > 0 ? place.tolerations.map((t) => ({ ...t })) : undefined,
    securityContext: POD_SECURITY,
  };
}

const imageFor = (gpus: number): string => (gpus > 0 ? IMAGES.rayGpu : IMAGES.ray);

/**
 * The head group of a team's Ray cluster. `headService` names its Service (the team RayCluster's contract
 * name); a RayJob's own cluster leaves it out and gets KubeRay's generated `<cluster>-head-svc`.
 */
export function headGroup(team: Team, head: { readonly cpu: string; readonly memory: string }, headService?: string): ray.RayClusterSpecHeadGroupSpec {
  const container = rayContainer(
    'ray-head',
    IMAGES.ray,
    { cpu: head.cpu, memory: head.memory, gpus: 0 },
    [
      { name: RAY_PORT_NAMES.gcs, containerPort: RAY_PORTS.gcs },
      { name: RAY_PORT_NAMES.dashboard, containerPort: RAY_PORTS.dashboard },
      { name: RAY_PORT_NAMES.client, containerPort: RAY_PORTS.client },
      { name: RAY_PORT_NAMES.metrics, containerPort: RAY_PORTS.metrics },
    ],
    {
      limit: (v: string) => ray.RayClusterSpecHeadGroupSpecTemplateSpecContainersResourcesLimits.fromString(v),
      request: (v: string) => ray.RayClusterSpecHeadGroupSpecTemplateSpecContainersResourcesRequests.fromString(v),
    },
  );
  return {
    // KubeRay uses this name instead of `<cluster>-head-svc` (kuberay common/service.go,
    // setNameforUserProvidedService): RAY_ADDRESS in notebooks relies on it.
    headService: headService === undefined ? undefined : { metadata: { name: headService } },
    serviceType: 'ClusterIP',
    // num-cpus 0: tasks and actors go to workers, the head only coordinates (and is never spot).
    rayStartParams: { 'num-cpus': '0', 'dashboard-host': '0.0.0.0' },
    template: {
      metadata: {
        labels: { [TEAM_LABEL]: team.name },
        // The head holds the GCS: Karpenter must not consolidate or drift its node away.
        annotations: { 'karpenter.sh/do-not-disrupt': 'true' },
      },
      // The team's ServiceAccount (S3 through Pod Identity); KubeRay binds its autoscaler Role to this name (kuberay common/rbac.go).
      spec: { ...podSpec(container, rayHeadPlacement(team), team), serviceAccountName: team.s3?.serviceAccount },
    },
  };
}

/** A worker group of a team's Ray cluster (pods labelled with the team: its NetworkPolicies select them). */
export function workerGroup(team: Team, group: RayWorkerGroup): ray.RayClusterSpecWorkerGroupSpecs {
  const container = rayContainer('ray-worker', imageFor(group.gpus), group, [{ name: RAY_PORT_NAMES.metrics, containerPort: RAY_PORTS.metrics }], {
    limit: (v: string) => ray.RayClusterSpecWorkerGroupSpecsTemplateSpecContainersResourcesLimits.fromString(v),
    request: (v: string) => ray.RayClusterSpecWorkerGroupSpecsTemplateSpecContainersResourcesRequests.fromString(v),
  });
  return {
    groupName: group.name,
    // No `replicas`: the autoscaler owns it (Argo CD would otherwise reset every scale-up).
    minReplicas: group.minReplicas,
    maxReplicas: group.maxReplicas,
    rayStartParams: {},
    template: {
      metadata: { labels: { [TEAM_LABEL]: team.name } },
      spec: { ...podSpec(container, rayWorkerPlacement(group), team), serviceAccountName: team.s3?.serviceAccount },
    },
  };
}

/** The RayCluster of one team, as rendered (exported for tests and the validate fixtures). */
export function rayClusterProps(cluster: ClusterConfig, team: Team): ray.RayClusterProps {
  const volcano = cluster.kuberay.batchScheduler === 'volcano';
  return {
    metadata: {
      name: team.ray.clusterName,
      namespace: team.namespace,
      labels: {
        [TEAM_LABEL]: team.name,
        ...(volcano ? { [VOLCANO_QUEUE_LABEL]: team.queue.name } : {}),
      },
    },
    spec: {
      rayVersion: RAY_VERSION,
      enableInTreeAutoscaling: true,
      autoscalerOptions: {
        upscalingMode: ray.RayClusterSpecAutoscalerOptionsUpscalingMode.DEFAULT,
        idleTimeoutSeconds: AUTOSCALER.idleTimeoutSeconds,
        resources: {
          requests: {
            cpu: ray.RayClusterSpecAutoscalerOptionsResourcesRequests.fromString(AUTOSCALER.cpu),
            memory: ray.RayClusterSpecAutoscalerOptionsResourcesRequests.fromString(AUTOSCALER.memory),
          },
          limits: {
            cpu: ray.RayClusterSpecAutoscalerOptionsResourcesLimits.fromString(AUTOSCALER.cpu),
            memory: ray.RayClusterSpecAutoscalerOptionsResourcesLimits.fromString(AUTOSCALER.memory),
          },
        },
        securityContext: { ...CONTAINER_SECURITY, seccompProfile: { type: 'RuntimeDefault' } },
      },
      headGroupSpec: headGroup(team, team.ray.head, team.ray.headService),
      workerGroupSpecs: team.ray.workerGroups.map((g) => workerGroup(team, g)),
    },
  };
}

/** Props of the ray-clusters chart. */
export interface RayClustersChartProps {
  readonly cluster: ClusterConfig;
}

/** One RayCluster per team with Ray enabled, in the team namespace. */
export class RayClustersChart extends Construct {
  constructor(scope: Construct, id: string, props: RayClustersChartProps) {
    super(scope, id);
    for (const team of rayTeams(props.cluster)) new ray.RayCluster(this, team.name, rayClusterProps(props.cluster, team));
  }
}

const rayTeams = (cluster: ClusterConfig): Team[] => (cluster.kuberay.enabled ? cluster.teams.filter((t) => t.ray.enabled) : []);

/** Team RayClusters (plain CRs of the KubeRay CRDs: synced after kuberay-operator and the team namespaces). */
export const rayClusters: Component = {
  name: 'ray-clusters',
  description: 'One autoscaling RayCluster per team (head on on-demand, workers on spot/GPU pools)',
  namespace: 'kube-system',
  wave: SYNC_WAVES.workloads,
  enabled: (c) => rayTeams(c).length > 0,
  build: (chart, cluster) => new RayClustersChart(chart, 'Resource', { cluster }),
  syncOptions: ['ServerSideApply=true', 'SkipDryRunOnMissingResource=true'],
  namespaces: (cluster) => rayTeams(cluster).map((t) => t.namespace),
};
