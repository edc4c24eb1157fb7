import { RAY_VERSION } from '../lib/ray';

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
  /** Bundles prometheus-operator v0.93.1, whose CRDs match the mirrored v0.93.0 ones (only the version annotation differs). */
  kubePrometheusStack: { repoURL: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: '88.5.3' },
  /** zero-to-jupyterhub; matches the mirrored values schema (Z2JH_VERSION in lib/schemas/pins.ts). */
  jupyterhub: { repoURL: 'https://hub.jupyter.org/helm-chart/', chart: 'jupyterhub', version: '4.4.0' },
  /** opencost-helm-chart tag opencost-2.5.17 (appVersion 1.120.1); published by chart-releaser to its GitHub Pages repository. */
  opencost: { repoURL: 'https://opencost.github.io/opencost-helm-chart', chart: 'opencost', version: '2.5.17' },
} as const satisfies Record<string, ChartPin>;

/**
 * Container images eksai renders itself (not through a chart), pinned. The Ray version and its Python minor
 * are pinned in lib/ray.ts (RAY_VERSION: why 2.56.0), beside the notebook image default that needs them. CPU and
 * GPU (CUDA) variants of the same Ray and Python versions: head and workers must match, and the GPU image is ~10x bigger.
 */
export const IMAGES = {
  ray: `docker.io/rayproject/ray:${RAY_VERSION}-py311-cpu`,
  rayGpu: `docker.io/rayproject/ray:${RAY_VERSION}-py311-gpu`,
} as const;

/** Container images of eksai's own smoke-test pods (charts/smoke.ts), pinned by tag. */
export const SMOKE_IMAGES = {
  /** CPU Job: a shell is all it needs (ECR Public mirror of the Docker official image: no Docker Hub pull limit). */
  busybox: 'public.ecr.aws/docker/library/busybox:1.37.0',
  /** GPU Job: CUDA base image; nvidia-smi is mounted from the node's driver by the NVIDIA container toolkit (needs a driver for CUDA 12.8, R570+). */
  cudaBase: 'nvidia/cuda:12.8.1-base-ubuntu24.04',
} as const;

/** pip packages of the smoke RayJob's runtime env (installed per job on the team's RayCluster), pinned. */
export const SMOKE_RAY_PIP: readonly string[] = ['xgboost==2.1.4', 'scikit-learn==1.6.1'];

/**
 * Notebook images. Ray Client needs the same Ray version and Python minor in the notebook and on the
 * cluster, and the Jupyter Docker Stacks images have neither (2025-12-31: Python 3.13, no `ray`). So the
 * repo ships images/notebook/Dockerfile: FROM these pinned Jupyter images (same build date for CPU and
 * GPU), plus a Python 3.11 conda env with `ray[client]==RAY_VERSION` as the default kernel. The
 * notebook-image workflow (.github/workflows/notebook-image.yml) pushes it to the repository's GHCR as
 * `ghcr.io/<owner>/eksai-notebook:<NOTEBOOK_IMAGE_TAGS>` (lib/config/notebook-images.ts: the config default); test/charts/notebook-image.test.ts keeps the
 * Dockerfile's ARGs, these pins and IMAGES.ray's Python tag identical.
 */
export const NOTEBOOK_BASE_IMAGES = {
  cpu: 'quay.io/jupyter/scipy-notebook:2025-12-31',
  gpu: 'quay.io/jupyter/pytorch-notebook:cuda12-2025-12-31',
} as const;
