/**
 * Every third-party Helm chart eksai deploys, pinned. One place to bump; the diff shows the bump as a risk.
 * `repoURL` with `oci://` is an OCI chart (Argo CD ≥ 3.1 pulls it natively, `path: .`); otherwise `chart`
 * names the chart in a classic Helm repository.
 */
export interface ChartPin {
  readonly repoURL: string;
  /** Chart name in a classic Helm repo; undefined for OCI charts (the name is in the URL). */
  readonly chart?: string;
  readonly version: string;
}

export const CHARTS = {
  /** Matches the mirrored CRDs (aws/karpenter-provider-aws v1.14.1). */
  karpenter: { repoURL: 'oci://public.ecr.aws/karpenter/karpenter', version: '1.14.1' },
  /** Matches the mirrored values schema and CRDs (cilium v1.19.4). */
  cilium: { repoURL: 'https://helm.cilium.io', chart: 'cilium', version: '1.19.4' },
  kuberayOperator: { repoURL: 'https://ray-project.github.io/kuberay-helm/', chart: 'kuberay-operator', version: '1.7.0' },
  volcano: { repoURL: 'https://volcano-sh.github.io/helm-charts', chart: 'volcano', version: '1.15.1' },
  nvidiaDevicePlugin: { repoURL: 'https://nvidia.github.io/k8s-device-plugin', chart: 'nvidia-device-plugin', version: '0.17.1' },
  dcgmExporter: { repoURL: 'https://nvidia.github.io/dcgm-exporter/helm-charts', chart: 'dcgm-exporter', version: '4.1.1' },
  awsLoadBalancerController: { repoURL: 'https://aws.github.io/eks-charts', chart: 'aws-load-balancer-controller', version: '1.14.0' },
} as const satisfies Record<string, ChartPin>;

/** Container images of eksai's own smoke-test pods (charts/smoke.ts), pinned by tag. */
export const SMOKE_IMAGES = {
  /** CPU Job: a shell is all it needs (ECR Public mirror of the Docker official image: no Docker Hub pull limit). */
  busybox: 'public.ecr.aws/docker/library/busybox:1.37.0',
  /** GPU Job: CUDA base image; nvidia-smi is mounted from the node's driver by the NVIDIA container toolkit (needs a driver for CUDA 12.8, R570+). */
  cudaBase: 'nvidia/cuda:12.8.1-base-ubuntu24.04',
  /** RayJob submitter: the `ray job submit` CLI; keep it at the team RayClusters' Ray version. */
  ray: 'rayproject/ray:2.60.0-py312',
} as const;

/** pip packages of the smoke RayJob's runtime env (installed per job on the team's RayCluster), pinned. */
export const SMOKE_RAY_PIP: readonly string[] = ['xgboost==2.1.4', 'scikit-learn==1.6.1'];
