/**
 * Every upstream schema eksai reads, pinned by URL. The URL is the identity: the offline mirror
 * (`EKSAI_SCHEMA_MIRROR`) and the download cache both store a file at `<dir>/<url without https://>`.
 * Bump a version here, run `npm run import`, review the diff.
 */

const RAW = 'https://raw.githubusercontent.com';

export const KARPENTER_VERSION = 'v1.14.1';
export const KUBERAY_VERSION = 'v1.7.0';
export const ARGOCD_VERSION = 'v3.5.1';
export const VOLCANO_VERSION = 'v1.15.1';
export const PROMETHEUS_OPERATOR_VERSION = 'v0.93.0';
export const CILIUM_VERSION = 'v1.19.4';
export const Z2JH_VERSION = '4.4.0';
export const KUBERNETES_BRANCH = 'release-1.35';

/** CRD files by API group, in the order `cdk8s import` should see them. */
export const CRD_URLS = {
  'karpenter.sh': [
    `${RAW}/aws/karpenter-provider-aws/${KARPENTER_VERSION}/pkg/apis/crds/karpenter.sh_nodepools.yaml`,
    `${RAW}/aws/karpenter-provider-aws/${KARPENTER_VERSION}/pkg/apis/crds/karpenter.sh_nodeclaims.yaml`,
  ],
  'karpenter.k8s.aws': [`${RAW}/aws/karpenter-provider-aws/${KARPENTER_VERSION}/pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml`],
  'argoproj.io': [
    `${RAW}/argoproj/argo-cd/${ARGOCD_VERSION}/manifests/crds/application-crd.yaml`,
    `${RAW}/argoproj/argo-cd/${ARGOCD_VERSION}/manifests/crds/appproject-crd.yaml`,
    `${RAW}/argoproj/argo-cd/${ARGOCD_VERSION}/manifests/crds/applicationset-crd.yaml`,
  ],
  'ray.io': [
    `${RAW}/ray-project/kuberay/${KUBERAY_VERSION}/ray-operator/config/crd/bases/ray.io_rayclusters.yaml`,
    `${RAW}/ray-project/kuberay/${KUBERAY_VERSION}/ray-operator/config/crd/bases/ray.io_rayjobs.yaml`,
    `${RAW}/ray-project/kuberay/${KUBERAY_VERSION}/ray-operator/config/crd/bases/ray.io_rayservices.yaml`,
  ],
  'scheduling.volcano.sh': [
    `${RAW}/volcano-sh/volcano/${VOLCANO_VERSION}/config/crd/volcano/bases/scheduling.volcano.sh_queues.yaml`,
    `${RAW}/volcano-sh/volcano/${VOLCANO_VERSION}/config/crd/volcano/bases/scheduling.volcano.sh_podgroups.yaml`,
  ],
  'batch.volcano.sh': [`${RAW}/volcano-sh/volcano/${VOLCANO_VERSION}/config/crd/volcano/bases/batch.volcano.sh_jobs.yaml`],
  'monitoring.coreos.com': [
    `${RAW}/prometheus-operator/prometheus-operator/${PROMETHEUS_OPERATOR_VERSION}/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml`,
    `${RAW}/prometheus-operator/prometheus-operator/${PROMETHEUS_OPERATOR_VERSION}/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml`,
    `${RAW}/prometheus-operator/prometheus-operator/${PROMETHEUS_OPERATOR_VERSION}/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml`,
  ],
  'cilium.io': [
    `${RAW}/cilium/cilium/${CILIUM_VERSION}/pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml`,
    `${RAW}/cilium/cilium/${CILIUM_VERSION}/pkg/k8s/apis/cilium.io/client/crds/v2/ciliumclusterwidenetworkpolicies.yaml`,
  ],
} as const satisfies Record<string, readonly string[]>;

/**
 * The subset `npm run import` turns into typed constructs in imports/ (what charts build). The others are
 * validated but not generated: ApplicationSet, RayService, Volcano Job and Cilium policies would add
 * megabytes of TypeScript that no chart uses.
 */
export const IMPORT_URLS: Readonly<Record<string, readonly string[]>> = {
  'karpenter.sh': [CRD_URLS['karpenter.sh'][0]],
  'karpenter.k8s.aws': CRD_URLS['karpenter.k8s.aws'],
  'argoproj.io': CRD_URLS['argoproj.io'].slice(0, 2),
  'ray.io': CRD_URLS['ray.io'].slice(0, 2),
  'scheduling.volcano.sh': [CRD_URLS['scheduling.volcano.sh'][0]],
  'monitoring.coreos.com': CRD_URLS['monitoring.coreos.com'],
};

/**
 * What `npm run import` leaves out of a pinned CRD before generating constructs (by CRD URL): served
 * versions and top-level spec fields no chart builds. RayJob's embedded rayClusterSpec (a whole RayCluster
 * schema) and its v1alpha1 version would add ~3.8 MB of TypeScript and ~45% to every `tsc` run: the smoke
 * RayJob builds its rayClusterSpec with the (identical) typed RayCluster construct instead and adds it as
 * plain JSON (charts/smoke.ts); validate checks it against the full, untrimmed CRD.
 */
export const IMPORT_TRIM: Readonly<Record<string, { readonly versions?: readonly string[]; readonly dropSpecFields?: readonly string[] }>> = {
  [CRD_URLS['ray.io'][1]]: { versions: ['v1'], dropSpecFields: ['rayClusterSpec'] },
};

/** Helm values schemas shipped upstream (charts without one are typed by hand in charts/). */
export const VALUES_SCHEMA_URLS = {
  cilium: `${RAW}/cilium/cilium/${CILIUM_VERSION}/install/kubernetes/cilium/values.schema.json`,
  jupyterhub: `${RAW}/jupyterhub/zero-to-jupyterhub-k8s/${Z2JH_VERSION}/jupyterhub/values.schema.yaml`,
} as const;

const K8S_V3 = `${RAW}/kubernetes/kubernetes/${KUBERNETES_BRANCH}/api/openapi-spec/v3`;

/** Kubernetes OpenAPI v3 documents (GA group-versions), by apiVersion. */
export const KUBERNETES_OPENAPI_URLS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'v1',
    'admissionregistration.k8s.io/v1',
    'apiextensions.k8s.io/v1',
    'apiregistration.k8s.io/v1',
    'apps/v1',
    'authentication.k8s.io/v1',
    'authorization.k8s.io/v1',
    'autoscaling/v1',
    'autoscaling/v2',
    'batch/v1',
    'certificates.k8s.io/v1',
    'coordination.k8s.io/v1',
    'discovery.k8s.io/v1',
    'events.k8s.io/v1',
    'flowcontrol.apiserver.k8s.io/v1',
    'networking.k8s.io/v1',
    'node.k8s.io/v1',
    'policy/v1',
    'rbac.authorization.k8s.io/v1',
    'resource.k8s.io/v1',
    'scheduling.k8s.io/v1',
    'storage.k8s.io/v1',
  ].map((gv) => {
    const file = gv === 'v1' ? 'api__v1_openapi.json' : `apis__${gv.replace('/', '__')}_openapi.json`;
    return [gv, `${K8S_V3}/${file}`];
  }),
);
