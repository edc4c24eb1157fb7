import { GPU_TAINT } from './config/defaults';
import type { RayWorkerGroup, Team } from './config/types';
import type { PodPlacement, Toleration } from './placement';

/**
 * Where a team's Ray pods go, in one place: charts/ray-clusters.ts renders exactly these node
 * selectors, tolerations and GPU limits, and the config rule checks exactly these against the
 * cluster's NodePools (lib/placement.ts) before anything is rendered.
 */

/** Label every eksai NodePool puts on its nodes (charts/node-pools.ts): pins a pod to one pool. */
export const POOL_LABEL = 'eksai.io/pool';
/** Label of the pool kind (POOL_KINDS labels): any pool of that kind. */
export const POOL_KIND_LABEL = 'eksai.io/pool-kind';
export const CAPACITY_TYPE_LABEL = 'karpenter.sh/capacity-type';

/** The autoscaler sidecar KubeRay adds to every head: KubeRay's defaults, set explicitly so the team quota can count them. */
export const RAY_AUTOSCALER_RESOURCES = { cpu: '500m', memory: '512Mi' } as const;

/** The GPU taint, tolerated by GPU worker groups only. */
export const GPU_TOLERATION: Toleration = { key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect };

const poolSelector = (pool: string | undefined, kind: 'cpu' | 'gpu'): Record<string, string> =>
  pool !== undefined ? { [POOL_LABEL]: pool } : { [POOL_KIND_LABEL]: kind };

/**
 * The head: on-demand capacity of a cpu pool (or the pinned pool). It holds the GCS and carries
 * `karpenter.sh/do-not-disrupt`, so a spot reclaim or consolidation would kill the whole cluster.
 */
export function rayHeadPlacement(team: Team): PodPlacement {
  return { nodeSelector: { ...poolSelector(team.ray.head.pool, 'cpu'), [CAPACITY_TYPE_LABEL]: 'on-demand' }, tolerations: [], gpus: 0 };
}

/** A worker group: a pool of its kind (gpu when it asks for GPUs) or the pinned pool, its capacity type, the GPU taint tolerated when it asks for GPUs. */
export function rayWorkerPlacement(group: RayWorkerGroup): PodPlacement {
  const gpu = group.gpus > 0;
  return {
    nodeSelector: { ...poolSelector(group.pool, gpu ? 'gpu' : 'cpu'), ...(group.capacityType ? { [CAPACITY_TYPE_LABEL]: group.capacityType } : {}) },
    tolerations: gpu ? [GPU_TOLERATION] : [],
    gpus: group.gpus,
  };
}

/** The rayproject/ray images' user: `ray`, uid 1000, gid 100 (ray docker base-deps). */
export const RAY_UID = 1000;
export const RAY_GID = 100;

/**
 * The Ray version of every Ray image eksai renders (charts/versions.ts IMAGES) and of the notebook image's
 * Ray kernel (lib/config/notebook-images.ts). 2.56.0: newer than what KubeRay 1.7.0 itself names (its e2e
 * tests run rayproject/ray:2.55.0, ray-operator/test/support/defaults.go; its kubectl plugin defaults to
 * 2.52.0, kubectl-plugin/pkg/util/constant.go), within the three latest Ray minors KubeRay supports, outside
 * the 2.11–2.37 range the KubeRay upgrade guide warns against. Ray Client needs the same Ray version and
 * Python minor in the notebook and on the cluster.
 */
export const RAY_VERSION = '2.56.0';

/** Python minor of the Ray images (IMAGES.ray `-py311-`) and of the notebook image's Ray kernel. */
export const RAY_PYTHON_VERSION = '3.11';
