import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ClusterConfig } from '../lib/config/types';
import { KEEP_DATA, SYNC_WAVES, type Component } from './component';

export const GP3_STORAGE_CLASS = 'gp3';
export const EFS_STORAGE_CLASS = 'efs';

/** Props of the storage chart. */
export interface StorageChartProps {
  readonly cluster: ClusterConfig;
}

/**
 * StorageClasses: encrypted gp3 (EBS CSI) as the default; the EKS-created gp2 class loses its default
 * annotation (applied server-side, only that annotation); optional EFS for shared notebooks/checkpoints.
 */
export class StorageChart extends Construct {
  constructor(scope: Construct, id: string, props: StorageChartProps) {
    super(scope, id);
    new ApiObject(this, 'gp3', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      // Bound volumes name their class (volume expansion reads it): deleting the storage app must not delete it.
      metadata: { name: GP3_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true', 'argocd.argoproj.io/sync-options': KEEP_DATA } },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true', fsType: 'ext4' },
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    });
    new ApiObject(this, 'gp2', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: 'gp2',
        annotations: {
          'storageclass.kubernetes.io/is-default-class': 'false',
          // Only this annotation is ours: the class itself is EKS's; never prune or replace it.
          'argocd.argoproj.io/sync-options': `ServerSideApply=true,${KEEP_DATA}`,
        },
      },
      provisioner: 'kubernetes.io/aws-ebs',
    });
    const efs = props.cluster.storage.efsFileSystemId;
    if (efs) {
      new ApiObject(this, 'efs', {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: EFS_STORAGE_CLASS, annotations: { 'argocd.argoproj.io/sync-options': KEEP_DATA } },
        provisioner: 'efs.csi.aws.com',
        parameters: { provisioningMode: 'efs-ap', fileSystemId: efs, directoryPerms: '700', basePath: '/dynamic' },
        reclaimPolicy: 'Retain',
        volumeBindingMode: 'Immediate',
      });
    }
  }
}

export const storage: Component = {
  name: 'storage',
  description: 'StorageClasses: gp3 encrypted default, optional EFS',
  namespace: 'kube-system',
  wave: SYNC_WAVES.nodes,
  enabled: () => true,
  build: (chart, cluster) => new StorageChart(chart, 'Resource', { cluster }),
  clusterResources: [{ group: 'storage.k8s.io', kind: 'StorageClass' }],
};
