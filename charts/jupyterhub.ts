import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { POOL_KINDS, RAY_PORTS } from '../lib/config/defaults';
import type { ClusterConfig, JupyterHubAuth, PoolKind, SecretRef, Team } from '../lib/config/types';
import type { Problem } from '../lib/errors';
import { explainNoFit, placement, poolShape, type PodPlacement } from '../lib/placement';
import { KEEP_DATA, PLATFORM_NAMESPACES, PROMETHEUS_POD_LABELS, SYNC_WAVES, type Component, type HelmRelease, type IgnoreDifference } from './component';
import { CORE_NODE_SELECTOR, CORE_TOLERATIONS } from './karpenter';
import { gpuTolerations } from './nvidia';
import { GP3_STORAGE_CLASS, sharedClaim, sharedVolume } from './storage';
import { teamServiceAccountManifest } from './teams';
import { CHARTS } from './versions';

/**
 * JupyterHub from the zero-to-jupyterhub chart (4.4.0; every key checked against its values schema,
 * which `eksai validate` and test/charts/jupyterhub.test.ts enforce). Hub, proxy and user-scheduler
 * run on the core node group; notebooks run on Karpenter pools chosen by profile.
 */

export const JUPYTERHUB_RELEASE = 'jupyterhub';

/** Port and path of the hub's Prometheus metrics (Service `hub`, port name `hub`; z2jh annotates it prometheus.io/path). */
export const HUB_METRICS = { service: 'hub', portName: 'hub', port: 8081, path: '/hub/metrics' } as const;

/** Labels z2jh puts on the hub pod (the chart's matchLabels), selected by the kube-apiserver egress policy. */
export const HUB_POD_LABELS = { app: 'jupyterhub', component: 'hub' } as const;

/** One notebook size, placed on pools of one kind. Guarantees are requests; limits cap bursts. */
interface ProfileSpec {
  readonly slug: string;
  readonly displayName: string;
  readonly poolKind: PoolKind;
  readonly cpu: { readonly guarantee: number; readonly limit: number };
  readonly memory: { readonly guarantee: string; readonly limit: string };
  readonly gpus: number;
  /** How to fix a cluster where no pool can run this profile. */
  readonly fix: string;
}

/**
 * The notebook sizes, in the order users see them. On-demand capacity only: notebooks carry
 * do-not-disrupt, which Karpenter honours for consolidation but a spot reclaim ignores (the kernel
 * and its unsaved state die). GPU sizes fit a g5/g6.2xlarge after daemonset overhead.
 */
export const NOTEBOOK_PROFILES: readonly ProfileSpec[] = [
  {
    slug: 'cpu-small',
    displayName: 'CPU small: 2 vCPU, 8 GB',
    poolKind: 'cpu',
    cpu: { guarantee: 1, limit: 2 },
    memory: { guarantee: '4G', limit: '8G' },
    gpus: 0,
    fix: 'add a cpu pool that allows on-demand capacity (the cpu default is spot + on-demand), or set jupyterhub.enabled: false',
  },
  {
    slug: 'cpu-large',
    displayName: 'CPU large: 8 vCPU, 32 GB',
    poolKind: 'cpu',
    cpu: { guarantee: 4, limit: 8 },
    memory: { guarantee: '16G', limit: '32G' },
    gpus: 0,
    fix: 'add a cpu pool that allows on-demand capacity (the cpu default is spot + on-demand), or set jupyterhub.enabled: false',
  },
  {
    slug: 'gpu',
    displayName: '1 NVIDIA GPU, 8 vCPU, 30 GB',
    poolKind: 'gpu',
    cpu: { guarantee: 3, limit: 8 },
    memory: { guarantee: '12G', limit: '30G' },
    gpus: 1,
    fix: 'let the gpu pool use on-demand capacity (the gpu default), or remove it',
  },
];

/** A profile as the chart renders it and as the placement rule checks it: one computation for both. */
export interface NotebookProfile {
  readonly slug: string;
  readonly displayName: string;
  readonly fix: string;
  /** Exactly the node_selector / tolerations / GPU request of `override`. */
  readonly placement: PodPlacement;
  /** KubeSpawner traits the profile sets (z2jh passes `singleuser.profileList` through to KubeSpawner.profile_list). */
  readonly override: Record<string, unknown>;
}

/**
 * The cluster's notebook profiles: the CPU sizes always, the GPU size only when a gpu pool exists.
 * Every per-profile setting sits under `kubespawner_override` (z2jh/KubeSpawner ignore it elsewhere).
 */
export function notebookProfiles(cluster: ClusterConfig): NotebookProfile[] {
  const kinds = new Set(cluster.karpenter.nodePools.map((p) => p.kind));
  return NOTEBOOK_PROFILES.filter((p) => p.poolKind !== 'gpu' || kinds.has('gpu')).map((p) => {
    const nodeSelector = { 'eksai.io/pool-kind': POOL_KINDS[p.poolKind].labels['eksai.io/pool-kind']!, 'karpenter.sh/capacity-type': 'on-demand' };
    // CPU profiles keep KubeSpawner's default tolerations (z2jh's hub.jupyter.org/dedicated=user, a taint no eksai pool has).
    const tolerations = p.gpus > 0 ? gpuTolerations(cluster) : [];
    const override: Record<string, unknown> = {
      node_selector: nodeSelector,
      ...(tolerations.length > 0 ? { tolerations } : {}),
      cpu_guarantee: p.cpu.guarantee,
      cpu_limit: p.cpu.limit,
      mem_guarantee: p.memory.guarantee,
      mem_limit: p.memory.limit,
      image: p.gpus > 0 ? cluster.jupyterhub.images.gpu : cluster.jupyterhub.images.cpu,
      ...(p.gpus > 0 ? { extra_resource_limits: { 'nvidia.com/gpu': String(p.gpus) } } : {}),
    };
    return { slug: p.slug, displayName: p.displayName, fix: p.fix, placement: { nodeSelector, tolerations, gpus: p.gpus }, override };
  });
}

/** Every notebook profile the hub renders must fit some NodePool (lib/placement.ts), else its pods stay Pending. */
export function notebookProfileProblems(cluster: ClusterConfig): Problem[] {
  if (!cluster.jupyterhub.enabled) return [];
  const shapes = cluster.karpenter.nodePools.map(poolShape);
  const problems: Problem[] = [];
  for (const profile of notebookProfiles(cluster)) {
    const { fits, reasons } = placement(profile.placement, shapes);
    if (fits.length > 0) continue;
    problems.push({
      file: cluster.file,
      path: 'jupyterhub',
      message: `notebook profile "${profile.slug}" fits no NodePool: ${explainNoFit(shapes, reasons)}`,
      value: { nodeSelector: profile.placement.nodeSelector, gpus: profile.placement.gpus },
      fix: profile.fix,
    });
  }
  return problems;
}

/**
 * The team a notebook belongs to is a choice on the spawn page (profile_options `team`): each
 * choice sets RAY_ADDRESS to that team's Ray head (team.ray.clientAddress) and EKSAI_TEAM.
 * KubeSpawner deep-merges `environment` overrides (kubespawner#650), so the choice adds to, not
 * replaces, the profile's environment. The choice is a convenience, not access control: notebook
 * egress reaches every team's Ray head (the team namespaces' NetworkPolicies decide who is admitted).
 */
function teamOptions(cluster: ClusterConfig): Record<string, unknown> | undefined {
  if (cluster.teams.length === 0) return undefined;
  const choices: Record<string, unknown> = {};
  cluster.teams.forEach((team, i) => {
    choices[team.name] = {
      display_name: `${team.name} (Ray: ${team.ray.clientAddress})`,
      ...(i === 0 ? { default: true } : {}),
      kubespawner_override: {
        environment: { RAY_ADDRESS: team.ray.clientAddress, EKSAI_TEAM: team.name },
        // The team's ServiceAccount in the jupyterhub namespace (S3 through Pod Identity): KubeSpawner's
        // `service_account` trait. With it set KubeSpawner would also mount a Kubernetes API token; the
        // notebook needs none (the Pod Identity webhook projects its own eks-pod-identity-token volume).
        ...(team.s3 ? { service_account: team.s3.serviceAccount, automount_service_account_token: false } : {}),
        ...notebookSharedVolume(team),
      },
    };
  });
  return { team: { display_name: 'Team', choices } };
}

/**
 * The team's shared EFS directory in its notebooks: the claim in the jupyterhub namespace (notebookClaims).
 * z2jh 4.4.0 sets KubeSpawner.volumes/volume_mounts as dicts (files/hub/jupyterhub_config.py) and
 * KubeSpawner merges a dict override into a dict trait (spawner.py _apply_overrides), so the home volume stays.
 */
function notebookSharedVolume(team: Team): Record<string, unknown> {
  const shared = sharedVolume(team, team.sharedStorage?.notebookClaimName);
  if (!shared) return {};
  return {
    volumes: Object.fromEntries(shared.volumes.map((v) => [v.name, v])),
    volume_mounts: Object.fromEntries(shared.volumeMounts.map((m) => [m.name, m])),
  };
}

/** Per team with shared storage, its claim in the jupyterhub namespace: notebooks can only mount claims of their own namespace. */
export function notebookClaims(scope: Construct, cluster: ClusterConfig): void {
  for (const team of cluster.teams) {
    if (team.sharedStorage) sharedClaim(scope, `shared-${team.name}`, team.sharedStorage, PLATFORM_NAMESPACES.jupyterhub, team.sharedStorage.notebookClaimName);
  }
}

function profileList(cluster: ClusterConfig): Record<string, unknown>[] {
  const options = teamOptions(cluster);
  return notebookProfiles(cluster).map((p, i) => ({
    display_name: p.displayName,
    slug: p.slug,
    ...(i === 0 ? { default: true } : {}),
    kubespawner_override: p.override,
    ...(options ? { profile_options: options } : {}),
  }));
}

/** Notebook egress to every team's Ray head (client 10001, dashboard/jobs 8265): z2jh's singleuser policy allows no private IPs. */
export function rayEgressRules(cluster: ClusterConfig): Record<string, unknown>[] {
  return cluster.teams.map((team) => ({
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': team.namespace } },
        podSelector: { matchLabels: { 'ray.io/cluster': team.ray.clusterName, 'ray.io/node-type': 'head' } },
      },
    ],
    ports: [
      { protocol: 'TCP', port: RAY_PORTS.client },
      { protocol: 'TCP', port: RAY_PORTS.dashboard },
    ],
  }));
}

const secretEnv = (name: string, ref: SecretRef) => ({ name, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } } });

/** OAuth callback on the ingress host; without an ingress OAuthenticator derives it from the request. */
const callbackUrl = (cluster: ClusterConfig) =>
  cluster.jupyterhub.ingress ? { oauth_callback_url: `https://${cluster.jupyterhub.ingress.host}/hub/oauth_callback` } : {};

/**
 * hub.config (traitlets) and hub.extraEnv for the authenticator. OAuthenticator reads the client id
 * and secret from OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET when they are not configured (oauth2.py
 * `_client_id_default`), so both come from secretKeyRef env vars and no secret value reaches dist.
 */
export function authValues(cluster: ClusterConfig): { config: Record<string, unknown>; extraEnv: Record<string, unknown> } {
  const auth: JupyterHubAuth = cluster.jupyterhub.auth;
  const admins = { admin_users: [...auth.adminUsers] };
  if (auth.kind === 'dummy') {
    // JupyterHub 5 admits nobody unless an allow rule is set; a dev hub admits anyone.
    return { config: { JupyterHub: { authenticator_class: 'dummy' }, Authenticator: { ...admins, allow_all: true } }, extraEnv: {} };
  }
  const extraEnv = { OAUTH_CLIENT_ID: secretEnv('OAUTH_CLIENT_ID', auth.clientId), OAUTH_CLIENT_SECRET: secretEnv('OAUTH_CLIENT_SECRET', auth.clientSecret) };
  const allowed = auth.allowedUsers.length > 0 ? { allowed_users: [...auth.allowedUsers] } : {};
  switch (auth.kind) {
    case 'github':
      return {
        config: {
          JupyterHub: { authenticator_class: 'github' },
          Authenticator: { ...admins, ...allowed },
          GitHubOAuthenticator: {
            ...callbackUrl(cluster),
            ...(auth.allowedOrganizations.length > 0 ? { allowed_organizations: [...auth.allowedOrganizations], scope: ['read:org'] } : {}),
          },
        },
        extraEnv,
      };
    case 'generic-oauth':
      return {
        config: {
          JupyterHub: { authenticator_class: 'generic-oauth' },
          Authenticator: { ...admins, ...allowed },
          GenericOAuthenticator: {
            ...callbackUrl(cluster),
            authorize_url: auth.authorizeUrl,
            token_url: auth.tokenUrl,
            userdata_url: auth.userdataUrl,
            username_claim: auth.usernameClaim,
            scope: [...auth.scopes],
            ...groupsConfig(auth.allowedGroups, `oauth_user.${auth.groupsClaim}`),
          },
        },
        extraEnv,
      };
    case 'cognito':
      // Cognito's userInfo endpoint has no groups; the ID token carries cognito:groups, so user data comes from it.
      return {
        config: {
          JupyterHub: { authenticator_class: 'generic-oauth' },
          Authenticator: { ...admins, ...allowed },
          GenericOAuthenticator: {
            ...callbackUrl(cluster),
            login_service: 'Amazon Cognito',
            authorize_url: `https://${auth.domain}/oauth2/authorize`,
            token_url: `https://${auth.domain}/oauth2/token`,
            userdata_from_id_token: true,
            username_claim: 'email',
            scope: ['openid', 'email', 'profile'],
            ...groupsConfig(auth.allowedGroups, 'oauth_user.cognito:groups'),
          },
        },
        extraEnv,
      };
  }
}

/** oauthenticator 17 reads groups from auth_state and requires manage_groups for allowed_groups. */
function groupsConfig(groups: readonly string[], key: string): Record<string, unknown> {
  return groups.length > 0 ? { allowed_groups: [...groups], manage_groups: true, auth_state_groups_key: key } : {};
}

/** ALB in front of proxy-public (AWS Load Balancer Controller); TLS ends at the ALB with the ACM certificate. */
function ingressValues(cluster: ClusterConfig): Record<string, unknown> {
  const ingress = cluster.jupyterhub.ingress;
  if (!ingress) return { enabled: false };
  return {
    enabled: true,
    ingressClassName: 'alb',
    hosts: [ingress.host],
    pathType: 'Prefix',
    annotations: {
      'alb.ingress.kubernetes.io/scheme': ingress.scheme,
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/certificate-arn': ingress.certificateArn,
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/healthcheck-path': '/hub/health',
      // Kernels talk over long-lived websockets; the ALB default idle timeout (60 s) drops quiet ones.
      'alb.ingress.kubernetes.io/load-balancer-attributes': 'idle_timeout.timeout_seconds=3600',
    },
  };
}

/** Restricted Pod Security for notebook pods (z2jh 4 hardened its own pods; KubeSpawner's need these). */
const NOTEBOOK_POD_SECURITY = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } as const;
const NOTEBOOK_CONTAINER_SECURITY = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** Values of the zero-to-jupyterhub chart. */
export function jupyterhubValues(cluster: ClusterConfig): Record<string, unknown> {
  const hub = cluster.jupyterhub;
  const auth = authValues(cluster);
  const [imageName, imageTag] = splitImage(hub.images.cpu);
  const core = { nodeSelector: { ...CORE_NODE_SELECTOR }, tolerations: [...CORE_TOLERATIONS] };
  return {
    hub: {
      ...core,
      config: {
        ...auth.config,
        KubeSpawner: { pod_security_context: NOTEBOOK_POD_SECURITY, container_security_context: NOTEBOOK_CONTAINER_SECURITY },
      },
      extraEnv: auth.extraEnv,
      // The hub database (users, servers, auth state) lives on this PVC (templates/hub/pvc.yaml reads hub.db.pvc.annotations).
      db: { type: 'sqlite-pvc', pvc: { storageClassName: GP3_STORAGE_CLASS, annotations: { 'argocd.argoproj.io/sync-options': KEEP_DATA } } },
      // Metrics for Prometheus without a token; only the monitoring namespace's Prometheus may reach port 8081.
      authenticatePrometheus: false,
      networkPolicy: {
        enabled: true,
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': PLATFORM_NAMESPACES.monitoring } },
                podSelector: { matchLabels: { ...PROMETHEUS_POD_LABELS } },
              },
            ],
            ports: [{ protocol: 'TCP', port: HUB_METRICS.port }],
          },
        ],
      },
    },
    proxy: {
      service: { type: 'ClusterIP' },
      https: { enabled: false },
      chp: { ...core },
    },
    singleuser: {
      uid: 1000,
      fsGid: 100,
      allowPrivilegeEscalation: false,
      image: { name: imageName, tag: imageTag },
      defaultUrl: '/lab',
      // Karpenter provisioning plus a multi-GB CUDA image pull exceed z2jh's 300 s default.
      startTimeout: 1200,
      extraAnnotations: { 'karpenter.sh/do-not-disrupt': 'true' },
      storage: { type: 'dynamic', capacity: hub.storage, dynamic: { storageClass: GP3_STORAGE_CLASS } },
      // The iptables init container is privileged (NET_ADMIN); the NetworkPolicy blocks the metadata server instead.
      cloudMetadata: { blockWithIptables: false, ip: '169.254.169.254' },
      networkPolicy: { enabled: true, egressAllowRules: { cloudMetadataServer: false, privateIPs: false }, egress: rayEgressRules(cluster) },
      profileList: profileList(cluster),
    },
    scheduling: {
      // Off: z2jh 4.4.0's user-scheduler is kube-scheduler v1.30 with RBAC forked from the v1.30
      // system:kube-scheduler role (templates/scheduling/user-scheduler/rbac.yaml). Against a 1.35 API
      // server v1.30 is outside the skew policy, and a 1.35 binary needs RBAC the chart does not grant
      // (values.yaml: "Bumping the minor version of this binary should go hand in hand with an inspection of
      // the user-scheduler's RBAC"; its informers then never sync and it schedules nothing). Notebooks use
      // the default scheduler; Karpenter still sizes nodes for pending notebooks and removes emptied ones.
      userScheduler: { enabled: false },
      userPlaceholder: { enabled: false },
      podPriority: { enabled: false },
      corePods: { nodeAffinity: { matchNodePurpose: 'ignore' } },
      userPods: { nodeAffinity: { matchNodePurpose: 'ignore' } },
    },
    // Image pullers would run a DaemonSet on every (short-lived) Karpenter node, GPU nodes included.
    prePuller: { hook: { enabled: false }, continuous: { enabled: false } },
    cull: { enabled: true, users: false, timeout: hub.idleTimeoutSeconds, every: Math.min(600, Math.max(60, Math.floor(hub.idleTimeoutSeconds / 4))) },
    ingress: ingressValues(cluster),
  };
}

/** `name:tag` → z2jh's image.name / image.tag (the schema only admits tagged images). */
function splitImage(image: string): [string, string] {
  const colon = image.lastIndexOf(':');
  return [image.slice(0, colon), image.slice(colon + 1)];
}

/**
 * With Cilium, ipBlock rules (z2jh's hub policy reaches the API server through `privateIPs`) do not
 * select the kube-apiserver identity (cilium#9209, z2jh#3202), so the hub could not spawn pods. This
 * allows that egress as Cilium's `kube-apiserver` entity; Cilium unions it with the chart's
 * NetworkPolicy. (The hub needs Cilium: lib/config/rules.ts `jupyterhubPrerequisites`.)
 */
export function hubApiServerPolicy(scope: Construct): void {
  new ApiObject(scope, 'hub-kube-apiserver', {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name: 'hub-kube-apiserver', namespace: PLATFORM_NAMESPACES.jupyterhub },
    spec: {
      endpointSelector: { matchLabels: { ...HUB_POD_LABELS } },
      egress: [{ toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] }],
    },
  });
}

/** What z2jh 4.4.0 regenerates on every `helm template` (templates/hub/secret.yaml; hub and proxy checksum annotations). */
export const GENERATED_SECRET_FIELDS: readonly IgnoreDifference[] = [
  {
    group: '',
    kind: 'Secret',
    name: 'hub',
    jsonPointers: ['/data/hub.config.ConfigurableHTTPProxy.auth_token', '/data/hub.config.JupyterHub.cookie_secret', '/data/hub.config.CryptKeeper.keys'],
  },
  { group: 'apps', kind: 'Deployment', name: 'hub', jsonPointers: ['/spec/template/metadata/annotations/checksum~1secret'] },
  { group: 'apps', kind: 'Deployment', name: 'proxy', jsonPointers: ['/spec/template/metadata/annotations/checksum~1auth-token'] },
];

/** JupyterHub (Helm) + the hub's API-server egress policy. z2jh labels notebook pods NOTEBOOK_POD_LABELS (team NetworkPolicies admit them). */
export const jupyterhub: Component = {
  name: 'jupyterhub',
  description: 'JupyterHub: notebooks per team, RAY_ADDRESS to the team Ray head',
  namespace: PLATFORM_NAMESPACES.jupyterhub,
  // z2jh 4 runs hub, proxy and user-scheduler restricted-compliant (z2jh#3464); notebooks get the
  // restricted security context above and no privileged iptables init container.
  podSecurity: 'restricted',
  wave: SYNC_WAVES.workloads,
  enabled: (c) => c.jupyterhub.enabled,
  helm: (cluster): HelmRelease => ({ ...CHARTS.jupyterhub, releaseName: JUPYTERHUB_RELEASE, values: jupyterhubValues(cluster) }),
  build: (chart, cluster) => {
    hubApiServerPolicy(chart);
    // Notebooks run in this namespace: each team with S3 has its ServiceAccount here too (its own Pod Identity association).
    for (const team of cluster.teams.filter((t) => t.s3))
      new ApiObject(chart, `team-${team.name}-service-account`, teamServiceAccountManifest(team, PLATFORM_NAMESPACES.jupyterhub));
    notebookClaims(chart, cluster);
  },
  // z2jh generates the proxy token, cookie secret and auth-state key with Helm `lookup` + randAlphaNum;
  // Argo CD renders without cluster access, so they (and the checksums that roll hub and proxy) change
  // on every render (z2jh#2887). Argo CD keeps the first generated values instead. Config changes still
  // sync (they live in the Secret's values.yaml key); the hub picks them up on its next restart.
  syncOptions: ['RespectIgnoreDifferences=true'],
  ignoreDifferences: GENERATED_SECRET_FIELDS,
};
