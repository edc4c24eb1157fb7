import { Construct } from 'constructs';
import { Queue, QueueSpecCapability } from '../imports/scheduling.volcano.sh';
import type { ClusterConfig, Team } from '../lib/config/types';
import { WEBHOOK_RESOURCES, OPERATOR_RESOURCES, SYNC_WAVES, type Component, type HelmRelease } from './component';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS } from './karpenter';
import { CHARTS } from './versions';

export const VOLCANO_NAMESPACE = 'volcano-system';

/** Scheduler name pods (and KubeRay's batchScheduler) use to pick Volcano. */
export const VOLCANO_SCHEDULER_NAME = 'volcano';

/**
 * Full volcano-scheduler.conf (the chart replaces its default with this, it does not merge).
 *
 * No `enqueue` action: with enqueue, a PodGroup whose minResources do not fit the cluster's *current*
 * capacity stays Pending, Volcano never tries to place its pods, so they never get the
 * `PodScheduled=False/Unschedulable` condition Karpenter watches for, and no node is ever launched
 * (volcano-sh/volcano#4030). Without enqueue, `allocate` tries every pod, the unplaceable ones are
 * marked Unschedulable, Karpenter scales up, and gang + proportion still hold pods back until the
 * whole gang fits within the team's Queue capability. `reclaim` lets a queue take back its deserved
 * share from reclaimable queues.
 */
export const VOLCANO_SCHEDULER_CONF = `actions: "allocate, backfill, reclaim"
tiers:
- plugins:
  - name: priority
  - name: gang
    enablePreemptable: false
  - name: conformance
- plugins:
  - name: drf
    enablePreemptable: false
  - name: predicates
  - name: proportion
  - name: nodeorder
  - name: binpack
`;

/** Values of the Volcano chart: scheduler conf above, scheduler/controller metrics, all pods on the core node group. */
export function volcanoValues(_cluster: ClusterConfig): Record<string, unknown> {
  return {
    custom: {
      scheduler_config_override: VOLCANO_SCHEDULER_CONF,
      scheduler_metrics_enable: true,
      controller_metrics_enable: true,
      // metrics_enable deploys the chart's own Prometheus/Grafana stack: not wanted.
      metrics_enable: false,
      default_ns: CORE_NODE_SELECTOR,
      default_tolerations: CORE_TOLERATIONS,
    },
  };
}

function capability(team: Team): Record<string, QueueSpecCapability> | undefined {
  const cap: Record<string, QueueSpecCapability> = {};
  const { cpu, memory, gpu } = team.queue.capability;
  if (cpu !== undefined) cap.cpu = QueueSpecCapability.fromString(cpu);
  if (memory !== undefined) cap.memory = QueueSpecCapability.fromString(memory);
  if (gpu !== undefined) cap['nvidia.com/gpu'] = QueueSpecCapability.fromNumber(gpu);
  return Object.keys(cap).length > 0 ? cap : undefined;
}

/** One Volcano Queue per team (cluster-scoped), synced after the chart's CRDs within the Application. */
export class VolcanoQueues extends Construct {
  constructor(scope: Construct, id: string, props: { readonly cluster: ClusterConfig }) {
    super(scope, id);
    for (const team of props.cluster.teams) {
      new Queue(this, team.queue.name, {
        metadata: { name: team.queue.name, annotations: { 'argocd.argoproj.io/sync-wave': '1' } },
        spec: { weight: team.queue.weight, reclaimable: team.queue.reclaimable, capability: capability(team) },
      });
    }
  }
}

/** Volcano batch scheduler (Helm) and the teams' Queues (plain manifests, same Application). */
export const volcano: Component = {
  name: 'volcano',
  description: 'Volcano batch scheduler (gang scheduling for Ray) and one Queue per team',
  namespace: VOLCANO_NAMESPACE,
  // The chart's containers add DAC_OVERRIDE, which `restricted` forbids.
  podSecurity: 'baseline',
  wave: SYNC_WAVES.batchScheduler,
  enabled: (c) => c.volcano.enabled,
  helm: (cluster): HelmRelease => ({ ...CHARTS.volcano, releaseName: 'volcano', values: volcanoValues(cluster) }),
  build: (chart, cluster) => new VolcanoQueues(chart, 'Resource', { cluster }),
  syncOptions: ['ServerSideApply=true', 'SkipDryRunOnMissingResource=true'],
  clusterResources: [...OPERATOR_RESOURCES, ...WEBHOOK_RESOURCES, { group: 'scheduling.volcano.sh', kind: 'Queue' }],
};
