import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ClusterConfig, SharedStorage, Team } from '../lib/config/types';
import { KEEP_DATA, SYNC_WAVES, type Component } from './component';
import { RAY_GID, RAY_UID } from '../lib/ray';

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
      metadata: {
        name: GP3_STORAGE_CLASS,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true', 'argocd.argoproj.io/sync-options': KEEP_DATA },
      },
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
      new ApiObject(this, 'efs', efsStorageClass(EFS_STORAGE_CLASS, efs, { basePath: '/dynamic' }));
      for (const team of props.cluster.teams) {
        if (team.sharedStorage) new ApiObject(this, `efs-${team.name}`, teamStorageClass(efs, team.sharedStorage));
      }
    }
  }
}

/**
 * An EFS StorageClass with dynamic provisioning: the driver creates one access point per PVC, whose
 * root directory it creates with `directoryPerms` owned by uid/gid, and through which every NFS call
 * runs as that uid/gid (identity enforcement). uid 1000 / gid 100 is the user the Ray pods and the
 * notebooks run as (RAY_UID/RAY_GID, z2jh singleuser.uid/fsGid), so 700 is enough for both.
 * Parameters: kubernetes-sigs/aws-efs-csi-driver docs/parameters.md (provisioningMode, fileSystemId,
 * directoryPerms, uid, gid, basePath, subPathPattern, ensureUniqueDirectory: all in pkg/driver/controller.go
 * since v1.7.0, unchanged through v3.4.1). Retain: deleting a claim never deletes a team's data.
 */
function efsStorageClass(name: string, fileSystemId: string, extra: Readonly<Record<string, string>>) {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, annotations: { 'argocd.argoproj.io/sync-options': KEEP_DATA } },
    provisioner: 'efs.csi.aws.com',
    parameters: { provisioningMode: 'efs-ap', fileSystemId, directoryPerms: '700', uid: String(RAY_UID), gid: String(RAY_GID), ...extra },
    reclaimPolicy: 'Retain',
    volumeBindingMode: 'Immediate',
  };
}

/**
 * The class of one team's shared directory `<basePath>/shared`: subPathPattern is the fixed `shared` and
 * ensureUniqueDirectory is off, so the claim in the team namespace and the one in the jupyterhub namespace
 * (a pod mounts only claims of its own namespace) get two access points on the same directory.
 * The driver appends no UUID then (controller.go CreateVolume: `!ensureUniqueDirectory` keeps the pattern).
 */
function teamStorageClass(fileSystemId: string, shared: SharedStorage) {
  return efsStorageClass(shared.storageClass, fileSystemId, { basePath: shared.basePath, subPathPattern: 'shared', ensureUniqueDirectory: 'false' });
}

/** Name of the shared volume in Ray and notebook pods. */
export const SHARED_VOLUME = 'shared';

/** The ReadWriteMany claim of a team's shared directory, in one namespace (the team's or jupyterhub). */
export function sharedClaim(scope: Construct, id: string, shared: SharedStorage, namespace: string, name: string): void {
  new ApiObject(scope, id, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    // The claim holds the team's data: never pruned or deleted by Argo CD (the class keeps the volume too).
    metadata: { name, namespace, annotations: { 'argocd.argoproj.io/sync-options': KEEP_DATA } },
    spec: { accessModes: ['ReadWriteMany'], storageClassName: shared.storageClass, resources: { requests: { storage: shared.size } } },
  });
}

/** The pod volume and the container mount of a team's shared claim; none when the team has no shared storage. */
export function sharedVolume(
  team: Team,
  claimName?: string,
): { volumes: { name: string; persistentVolumeClaim: { claimName: string } }[]; volumeMounts: { name: string; mountPath: string }[] } | undefined {
  const shared = team.sharedStorage;
  if (!shared) return undefined;
  return {
    volumes: [{ name: SHARED_VOLUME, persistentVolumeClaim: { claimName: claimName ?? shared.claimName } }],
    volumeMounts: [{ name: SHARED_VOLUME, mountPath: shared.mountPath }],
  };
}

export const storage: Component = {
  name: 'storage',
  description: 'StorageClasses: gp3 encrypted default, optional EFS (one class per team)',
  namespace: 'kube-system',
  wave: SYNC_WAVES.nodes,
  enabled: () => true,
  build: (chart, cluster) => new StorageChart(chart, 'Resource', { cluster }),
  clusterResources: [{ group: 'storage.k8s.io', kind: 'StorageClass' }],
};
