import type { ClusterManifests, Manifest } from './build';
import { bootstrapTeams, type BootstrapTeamS3 } from './team-s3';

/** Path of the Terraform input file inside `dist/<cluster>/` (JSON: validate and diff read only YAML). */
export const BOOTSTRAP_INPUT_PATH = 'bootstrap/terraform.json';

/** The Cilium release terraform/bootstrap installs before the first node joins (Argo CD adopts it later). */
export interface BootstrapCilium {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
  readonly release_name: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
}

/**
 * What terraform/bootstrap reads from eksai (terraform/bootstrap/inputs.tf): one value, one source.
 * Snake case because Terraform reads it with jsondecode(file(...)).
 */
export interface BootstrapInput {
  readonly '//': string;
  readonly cluster_name: string;
  readonly region: string;
  readonly kubernetes_version: string;
  /** null when the cluster runs without Cilium (then Terraform installs the EKS vpc-cni and kube-proxy add-ons). */
  readonly cilium: BootstrapCilium | null;
  /** Per team with `s3`: Pod Identity associations, the role's policy, the buckets (terraform/bootstrap/s3.tf; pipeline/synth/team-s3.ts). */
  readonly teams: Record<string, BootstrapTeamS3>;
  /** storage.efs: terraform/bootstrap/efs.tf creates the file system, the EFS CSI add-on and its SSM id. */
  readonly efs: boolean;
}

type HelmSource = { repoURL: string; chart?: string; targetRevision: string; helm: { releaseName: string; valuesObject: Record<string, unknown> } };

/**
 * The Terraform input of one cluster, taken from the objects synth built: the Cilium release is read
 * off the generated `cilium` Application itself, so Terraform installs exactly what Argo CD later syncs.
 */
export function bootstrapInput(built: ClusterManifests, header: string): BootstrapInput {
  const app = (built.charts.get('apps') ?? []).find((o: Manifest) => o.kind === 'Application' && o.metadata.name === 'cilium');
  let cilium: BootstrapCilium | null = null;
  if (app) {
    const spec = app.spec as { source: HelmSource; destination: { namespace: string } };
    const s = spec.source;
    cilium = {
      repository: s.repoURL,
      chart: s.chart ?? '',
      version: s.targetRevision,
      release_name: s.helm.releaseName,
      namespace: spec.destination.namespace,
      values: s.helm.valuesObject,
    };
  }
  return {
    '//': header,
    cluster_name: built.cluster.name,
    region: built.cluster.region,
    kubernetes_version: built.cluster.kubernetesVersion,
    cilium,
    teams: bootstrapTeams(built.cluster),
    efs: built.cluster.storage.efsFileSystemId !== undefined,
  };
}

/** Deterministic bytes: key order as built (cdk8s sorts manifest keys), 2-space indent, trailing newline. */
export function renderBootstrapInput(built: ClusterManifests, header: string): string {
  return `${JSON.stringify(bootstrapInput(built, header), null, 2)}\n`;
}
