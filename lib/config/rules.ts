import type { Problem } from '../errors';
import type { ClusterConfigInput } from './schema';
import { AWS_REGIONS, GPU_INSTANCE_FAMILIES, RESERVED_MOUNT_PATHS, RESERVED_NAMESPACES, SHARED_STORAGE_DEFAULTS } from './defaults';
import { amiFamilyOf, layerDefaults, normalizePoolsAndTeams } from './normalize';
import { explainNoFit, placement, poolShape, type PodPlacement } from '../placement';
import { RAY_AUTOSCALER_RESOURCES, rayHeadPlacement, rayWorkerPlacement } from '../ray';
import { closest } from './paths';
import { quantityValue } from './quantity';
import { JUPYTERHUB_DEFAULTS } from './defaults';
import { defaultNotebookImages, NOTEBOOK_IMAGE_NAME } from './notebook-images';
import { teamS3Problems } from './s3';

/**
 * Semantic rules on a cluster file that passed the shape check. Each rule is a small named function
 * that pushes problems (errors) or warnings; all of them run, so one run lists every problem.
 */
export interface RuleContext {
  readonly input: ClusterConfigInput;
  /** Cluster file, relative to the repo root. */
  readonly file: string;
  /** Name the registry/file name gives this cluster. */
  readonly expectedName?: string;
  readonly errors: Problem[];
  readonly warnings: Problem[];
}

export type Rule = (ctx: RuleContext) => void;

const pools = (ctx: RuleContext) => ctx.input.karpenter.nodePools ?? [];
const classes = (ctx: RuleContext) => ctx.input.karpenter.nodeClasses ?? [];
const poolPath = (name: string) => `karpenter.nodePools[${name}]`;

export const nameMatchesFile: Rule = (ctx) => {
  if (ctx.expectedName !== undefined && ctx.input.name !== ctx.expectedName) {
    ctx.errors.push({
      file: ctx.file,
      path: 'name',
      message: `must equal the file name "${ctx.expectedName}"`,
      value: ctx.input.name,
      fix: `rename the file to clusters/${ctx.input.name}.ts or set name: '${ctx.expectedName}'`,
    });
  }
};

export const knownRegion: Rule = (ctx) => {
  const { region } = ctx.input;
  if (!AWS_REGIONS.includes(region)) {
    const guess = closest(region, AWS_REGIONS);
    ctx.errors.push({
      file: ctx.file,
      path: 'region',
      message: 'is not an AWS region with EKS',
      value: region,
      fix: guess ? `did you mean '${guess}'?` : `use one of ${AWS_REGIONS.slice(0, 4).join(', ')}, ...`,
    });
  }
};

/**
 * A git URL Argo CD clones: https (no credentials: they would be committed in dist), ssh:// or scp-like
 * `git@host:path`. Host and path characters are the ones repository hosts allow, so no quote, space,
 * backtick, `$`, brace or control character can reach a file eksai writes.
 */
const GIT_PATH = '[A-Za-z0-9._~%+-]+(?:/[A-Za-z0-9._~%+-]+)*/?';
const GIT_HOST = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\\d{1,5})?';
export const GIT_URL = new RegExp(
  `^(?:https://${GIT_HOST}/${GIT_PATH}|ssh://(?:[A-Za-z0-9._-]+@)?${GIT_HOST}/${GIT_PATH}|[A-Za-z0-9._-]+@${GIT_HOST.replace('(?::\\d{1,5})?', '')}:${GIT_PATH})$`,
);

export const gitRepoUrl: Rule = (ctx) => {
  const url = ctx.input.gitops.repoURL;
  if (!GIT_URL.test(url)) {
    ctx.errors.push({
      file: ctx.file,
      path: 'gitops.repoURL',
      message: 'must be an https or ssh git URL',
      value: url,
      fix: "use the URL Argo CD clones, e.g. 'https://github.com/acme/platform.git'",
    });
  }
};

export const uniqueNames: Rule = (ctx) => {
  const check = (names: string[], what: string, at: string) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) {
        ctx.errors.push({
          file: ctx.file,
          path: `${at}[${name}]`,
          message: `duplicate ${what} name`,
          value: name,
          fix: `give each ${what} a unique name (names become Kubernetes object names)`,
        });
      }
      seen.add(name);
    }
  };
  check(
    pools(ctx).map((p) => p.name),
    'node pool',
    'karpenter.nodePools',
  );
  check(
    classes(ctx).map((c) => c.name),
    'node class',
    'karpenter.nodeClasses',
  );
  check(
    (ctx.input.teams ?? []).map((t) => t.name),
    'team',
    'teams',
  );
};

export const atLeastOnePool: Rule = (ctx) => {
  if (pools(ctx).length === 0) {
    ctx.errors.push({
      file: ctx.file,
      path: 'karpenter.nodePools',
      message: 'must define at least one node pool',
      fix: "add e.g. { name: 'general', kind: 'cpu', limits: { cpu: 100 } }",
    });
  } else if (!pools(ctx).some((p) => p.kind === 'cpu')) {
    ctx.warnings.push({
      file: ctx.file,
      path: 'karpenter.nodePools',
      message: 'has no cpu pool: general workloads can only land on the core node group',
      fix: "add a pool with kind: 'cpu'",
    });
  }
};

export const limitsNonNegative: Rule = (ctx) => {
  for (const p of pools(ctx)) {
    for (const key of ['cpu', 'memory', 'gpu'] as const) {
      const v = p.limits[key];
      if (v !== undefined && !(quantityValue(v) >= 0)) {
        ctx.errors.push({
          file: ctx.file,
          path: `${poolPath(p.name)}.limits.${key}`,
          message: 'must be >= 0',
          value: v,
          fix: 'set a positive limit, or remove the key for no limit',
        });
      }
    }
    if (p.kind !== 'gpu' && p.limits.cpu === undefined) {
      ctx.warnings.push({
        file: ctx.file,
        path: `${poolPath(p.name)}.limits.cpu`,
        message: 'is not set: the pool can grow without bound',
        fix: 'set limits.cpu to cap spend',
      });
    }
  }
};

export const gpuPools: Rule = (ctx) => {
  for (const p of pools(ctx)) {
    const at = poolPath(p.name);
    if (p.kind === 'gpu') {
      if (p.instanceCategories && !p.instanceFamilies) {
        ctx.errors.push({
          file: ctx.file,
          path: `${at}.instanceCategories`,
          message: 'cannot select a gpu pool by category (g and p also hold non-NVIDIA families)',
          value: p.instanceCategories,
          fix: "use instanceFamilies, e.g. ['g5', 'g6', 'g6e']",
        });
      }
      const notGpu = (p.instanceFamilies ?? []).filter((f) => !GPU_INSTANCE_FAMILIES.includes(f));
      if (notGpu.length > 0) {
        ctx.errors.push({
          file: ctx.file,
          path: `${at}.instanceFamilies`,
          message: `must only list NVIDIA GPU instance families (${notGpu.join(', ')} ${notGpu.length > 1 ? 'are' : 'is'} not)`,
          value: p.instanceFamilies,
          fix: `use families such as ${GPU_INSTANCE_FAMILIES.slice(0, 4).join(', ')}, or make it a cpu pool`,
        });
      }
      if (p.limits.gpu === undefined || p.limits.gpu < 1) {
        ctx.errors.push({
          file: ctx.file,
          path: `${at}.limits.gpu`,
          message: 'must be >= 1 for a gpu pool',
          value: p.limits.gpu,
          fix: 'set limits.gpu to the most GPUs the pool may run, or remove the pool',
        });
      }
    } else {
      const gpu = (p.instanceFamilies ?? []).filter((f) => GPU_INSTANCE_FAMILIES.includes(f));
      if (gpu.length > 0) {
        ctx.errors.push({
          file: ctx.file,
          path: `${at}.instanceFamilies`,
          message: `lists GPU families (${gpu.join(', ')}) in a ${p.kind} pool: their GPUs would be untainted and idle`,
          value: p.instanceFamilies,
          fix: "move them to a pool with kind: 'gpu'",
        });
      }
      if (p.limits.gpu !== undefined && p.limits.gpu > 0) {
        ctx.errors.push({
          file: ctx.file,
          path: `${at}.limits.gpu`,
          message: `is set on a ${p.kind} pool`,
          value: p.limits.gpu,
          fix: "remove it, or use kind: 'gpu'",
        });
      }
    }
  }
};

export const nodeClassRefs: Rule = (ctx) => {
  const names = classes(ctx).map((c) => c.name);
  for (const p of pools(ctx)) {
    const ref = p.nodeClass ?? 'default';
    if (!names.includes(ref)) {
      const guess = closest(ref, names);
      ctx.errors.push({
        file: ctx.file,
        path: `${poolPath(p.name)}.nodeClass`,
        message: `refers to node class "${ref}", which is not defined`,
        value: ref,
        fix: guess ? `did you mean '${guess}'?` : `add { name: '${ref}', amiAlias: 'al2023@v20260714' } to karpenter.nodeClasses`,
      });
    }
  }
};

const ALIAS = /^(al2023|bottlerocket)@(latest|v\d{8}|v\d+\.\d+\.\d+)$/;

export const amiAliases: Rule = (ctx) => {
  const allowLatest = layerDefaults(ctx.input.environment).allowLatestAmi ?? false;
  for (const c of classes(ctx)) {
    const at = `karpenter.nodeClasses[${c.name}]`;
    const m = ALIAS.exec(c.amiAlias);
    const family = amiFamilyOf(c.amiAlias);
    const versionOk = m && (m[2] === 'latest' || (family === 'al2023' ? /^v\d{8}$/ : /^v\d+\.\d+\.\d+$/).test(m[2]!));
    if (!m || !versionOk) {
      ctx.errors.push({
        file: ctx.file,
        path: `${at}.amiAlias`,
        message: 'must be a pinned AMI alias: al2023@vYYYYMMDD or bottlerocket@vX.Y.Z',
        value: c.amiAlias,
        fix: "e.g. 'al2023@v20260714' or 'bottlerocket@v1.64.0'",
      });
    } else if (m[2] === 'latest') {
      const problem = {
        file: ctx.file,
        path: `${at}.amiAlias`,
        message: 'uses @latest: every AMI release drifts and replaces every node of the pools using it',
        value: c.amiAlias,
        fix: 'pin a version and bump it in a reviewed PR',
      };
      (allowLatest ? ctx.warnings : ctx.errors).push(problem);
    }
    if (c.dataVolumeGiB !== undefined && family !== 'bottlerocket') {
      ctx.errors.push({
        file: ctx.file,
        path: `${at}.dataVolumeGiB`,
        message: 'only applies to Bottlerocket (AL2023 has one root volume)',
        value: c.dataVolumeGiB,
        fix: 'use rootVolumeGiB, or a bottlerocket@ alias',
      });
    }
  }
};

export const budgetsWellFormed: Rule = (ctx) => {
  for (const p of pools(ctx)) {
    (p.budgets ?? []).forEach((b, i) => {
      if ((b.schedule === undefined) !== (b.duration === undefined)) {
        ctx.errors.push({
          file: ctx.file,
          path: `${poolPath(p.name)}.budgets[${i}]`,
          message: 'must set schedule and duration together',
          value: b,
          fix: "add the missing one, e.g. schedule: '0 9 * * mon-fri', duration: '8h'",
        });
      }
    });
  }
};

export const gpuPrerequisites: Rule = (ctx) => {
  const hasGpuPool = pools(ctx).some((p) => p.kind === 'gpu');
  for (const key of ['devicePlugin', 'dcgmExporter'] as const) {
    if (ctx.input.gpu?.[key] === true && !hasGpuPool) {
      ctx.errors.push({
        file: ctx.file,
        path: `gpu.${key}`,
        message: 'is on but no karpenter node pool has kind gpu',
        value: true,
        fix: "add a pool with kind: 'gpu', or remove the key",
      });
    }
  }
};

/** KubeRay hands Ray pods to the Volcano scheduler by default, so Volcano must be deployed. */
export const kuberayVolcano: Rule = (ctx) => {
  const kuberayOn = ctx.input.kuberay?.enabled ?? true;
  if (kuberayOn && (ctx.input.kuberay?.batchScheduler ?? 'volcano') === 'volcano' && ctx.input.volcano?.enabled === false) {
    ctx.errors.push({
      file: ctx.file,
      path: 'volcano.enabled',
      message: 'is false but kuberay.batchScheduler is volcano (the default), so Ray pods would wait for a scheduler that is not deployed',
      value: false,
      fix: "remove volcano.enabled: false, or set kuberay.batchScheduler: 'none' (or kuberay.enabled: false)",
    });
  }
};

/** Whether the hub will be rendered (normalize.ts: explicit, else on with teams and Cilium). */
function jupyterhubOn(input: ClusterConfigInput): boolean {
  const cilium = input.cilium?.enabled ?? layerDefaults(input.environment).cilium?.enabled ?? true;
  return input.jupyterhub?.enabled ?? ((input.teams ?? []).length > 0 && cilium);
}

const OAUTH_EXAMPLE =
  "{ kind: 'github', clientId: { secretName: 'jupyterhub-oauth', key: 'client-id' }, clientSecret: { secretName: 'jupyterhub-oauth', key: 'client-secret' }, allowedOrganizations: ['acme'] }";

/** Dummy auth only in dev; elsewhere a real IdP with an allow rule (JupyterHub 5 admits nobody without one). */
export const jupyterhubAuth: Rule = (ctx) => {
  if (!jupyterhubOn(ctx.input)) return;
  const env = ctx.input.environment;
  const { allowDummyAuth } = JUPYTERHUB_DEFAULTS[env];
  const auth = ctx.input.jupyterhub?.auth;
  if (!auth) {
    if (!allowDummyAuth)
      ctx.errors.push({
        file: ctx.file,
        path: 'jupyterhub.auth',
        message: `is required in ${env}: JupyterHub is on (the cluster has teams) and only dev defaults to dummy auth`,
        fix: `add auth: ${OAUTH_EXAMPLE}, or set jupyterhub.enabled: false`,
      });
    return;
  }
  if (auth.kind === 'dummy') {
    if (!allowDummyAuth)
      ctx.errors.push({
        file: ctx.file,
        path: 'jupyterhub.auth.kind',
        message: `is dummy (anyone logs in with any name) and dummy auth is only allowed in dev, not ${env}`,
        value: 'dummy',
        fix: `use a real identity provider, e.g. auth: ${OAUTH_EXAMPLE}`,
      });
    return;
  }
  const lists = auth.kind === 'github' ? [auth.allowedUsers, auth.allowedOrganizations] : [auth.allowedUsers, auth.allowedGroups];
  if (lists.every((l) => (l ?? []).length === 0)) {
    const what = auth.kind === 'github' ? 'allowedUsers or allowedOrganizations' : 'allowedUsers or allowedGroups';
    ctx.errors.push({
      file: ctx.file,
      path: 'jupyterhub.auth',
      message: `admits nobody: ${auth.kind} auth needs ${what} (JupyterHub 5 rejects every login without an allow rule)`,
      fix: `add ${what}`,
    });
  }
};

/** The hub's ALB needs the AWS Load Balancer Controller; the hub's policies need Cilium. */
export const jupyterhubPrerequisites: Rule = (ctx) => {
  const hub = ctx.input.jupyterhub;
  if (hub?.ingress && ctx.input.loadBalancer?.enabled === false) {
    ctx.errors.push({
      file: ctx.file,
      path: 'jupyterhub.ingress',
      message: 'needs the AWS Load Balancer Controller, but loadBalancer.enabled is false',
      value: hub.ingress.host,
      fix: 'remove loadBalancer.enabled: false, or remove jupyterhub.ingress (the hub stays ClusterIP)',
    });
  }
  if (hub?.enabled === true && ctx.input.cilium?.enabled === false) {
    ctx.errors.push({
      file: ctx.file,
      path: 'jupyterhub.enabled',
      message: "is true but cilium.enabled is false: the notebook NetworkPolicies and the hub's API-server egress policy need Cilium",
      value: true,
      fix: 'remove cilium.enabled: false, or set jupyterhub.enabled: false',
    });
  }
};

/**
 * Notebook images are pinned like AMIs: `latest` warns in dev and fails elsewhere. Without an explicit
 * image the default is the eksai notebook image in the GitOps repo's GHCR, which only a github.com repo has.
 */
export const jupyterhubImages: Rule = (ctx) => {
  const allowLatest = layerDefaults(ctx.input.environment).allowLatestAmi ?? false;
  if (ctx.input.jupyterhub?.enabled !== false && (ctx.input.teams ?? []).length > 0 && !defaultNotebookImages(ctx.input.gitops.repoURL)) {
    for (const key of ['image', 'gpuImage'] as const) {
      if (ctx.input.jupyterhub?.[key] !== undefined) continue;
      ctx.errors.push({
        file: ctx.file,
        path: `jupyterhub.${key}`,
        message: `is required: gitops.repoURL is not on github.com, so there is no default ghcr.io/<owner>/${NOTEBOOK_IMAGE_NAME} image`,
        value: ctx.input.gitops.repoURL,
        fix: `build images/notebook (README "Notebook image") into your registry and set jupyterhub.${key}`,
      });
    }
  }
  for (const key of ['image', 'gpuImage'] as const) {
    const image = ctx.input.jupyterhub?.[key];
    if (image?.endsWith(':latest')) {
      (allowLatest ? ctx.warnings : ctx.errors).push({
        file: ctx.file,
        path: `jupyterhub.${key}`,
        message: 'uses the latest tag: every push changes what users get, and nodes cache stale copies',
        value: image,
        fix: 'pin a dated tag or a digest',
      });
    }
  }
};

/**
 * Team Ray clusters: every worker group (and the head) must fit some NodePool, exactly as
 * charts/ray-clusters.ts renders it (lib/ray.ts), else its pods stay Pending and Karpenter never
 * launches a node for them. Also: groups sized min <= max, pinned pools that exist, unique group
 * names, and a RayCluster only where KubeRay is deployed.
 */
export const teamRayClusters: Rule = (ctx) => {
  const { pools, teams } = normalizePoolsAndTeams(ctx.input);
  const shapes = pools.map(poolShape);
  const poolNames = pools.map((p) => p.name);
  const kuberayOn = ctx.input.kuberay?.enabled ?? true;
  const hasGpuPool = pools.some((p) => p.kind === 'gpu');
  for (const team of teams) {
    const at = `teams[${team.name}].ray`;
    if (!team.ray.enabled) continue;
    if (!kuberayOn) {
      ctx.errors.push({
        file: ctx.file,
        path: `${at}.enabled`,
        message: 'is true but kuberay.enabled is false: nothing would reconcile the RayCluster',
        value: true,
        fix: 'remove ray.enabled, or turn kuberay on',
      });
      continue;
    }
    const unknownPool = (pool: string | undefined, path: string): boolean => {
      if (pool === undefined || poolNames.includes(pool)) return false;
      const guess = closest(pool, poolNames);
      ctx.errors.push({
        file: ctx.file,
        path,
        message: `refers to node pool "${pool}", which is not defined`,
        value: pool,
        fix: guess ? `did you mean '${guess}'?` : `use one of ${poolNames.join(', ') || '(no pools defined)'}`,
      });
      return true;
    };
    const fits = (path: string, pod: PodPlacement, fix: string) => {
      const { fits: ok, reasons } = placement(pod, shapes);
      if (ok.length > 0) return;
      ctx.errors.push({
        file: ctx.file,
        path,
        message: `fits no NodePool, so its pods would stay Pending: ${explainNoFit(shapes, reasons)}`,
        value: pod.nodeSelector,
        fix,
      });
    };
    if (!unknownPool(team.ray.head.pool, `${at}.head.pool`)) {
      fits(
        `${at}.head`,
        rayHeadPlacement(team),
        "give a cpu pool on-demand capacity (capacityTypes: ['spot', 'on-demand']), or pin the head to such a pool with head.pool",
      );
    }
    const seen = new Set<string>();
    for (const group of team.ray.workerGroups) {
      const gat = `${at}.workerGroups[${group.name}]`;
      if (seen.has(group.name))
        ctx.errors.push({
          file: ctx.file,
          path: gat,
          message: 'duplicate worker group name',
          value: group.name,
          fix: 'give each worker group a unique name (it becomes the ray.io/group label)',
        });
      seen.add(group.name);
      if (group.maxReplicas < group.minReplicas) {
        ctx.errors.push({
          file: ctx.file,
          path: `${gat}.maxReplicas`,
          message: `must be >= minReplicas (${group.minReplicas})`,
          value: group.maxReplicas,
          fix: `raise maxReplicas to at least ${group.minReplicas}, or lower minReplicas`,
        });
      }
      if (unknownPool(group.pool, `${gat}.pool`)) continue;
      const fix =
        group.gpus > 0 && !hasGpuPool
          ? "add a karpenter node pool with kind: 'gpu', or set gpus: 0 on the group"
          : group.pool !== undefined
            ? `pin the group to a pool that matches, or change pool '${group.pool}'`
            : `add a ${group.gpus > 0 ? 'gpu' : 'cpu'} pool that matches${group.capacityType ? ` with ${group.capacityType} capacity` : ''}, or set the group's pool/capacityType`;
      fits(gat, rayWorkerPlacement(group), fix);
    }
  }
};

/**
 * The team quota must admit the Ray head plus one pod of each worker group, else the API server
 * rejects the pods (`exceeded quota`) and the group can never scale up. Ray pods set requests = limits,
 * so both requests.* and limits.* are checked.
 */
export const teamQuotaFitsRay: Rule = (ctx) => {
  const { teams } = normalizePoolsAndTeams(ctx.input);
  for (const team of teams) {
    if (!team.ray.enabled || !(ctx.input.kuberay?.enabled ?? true)) continue;
    const head = {
      cpu: quantityValue(team.ray.head.cpu) + quantityValue(RAY_AUTOSCALER_RESOURCES.cpu),
      memory: quantityValue(team.ray.head.memory) + quantityValue(RAY_AUTOSCALER_RESOURCES.memory),
      gpu: 0,
    };
    const q = team.quota;
    const num = (v: string | undefined) => (v === undefined ? undefined : quantityValue(v));
    // [quota resource name, config key, value]
    const hardOf: Record<'cpu' | 'memory' | 'gpu', [string, string, number | undefined][]> = {
      cpu: [
        ['requests.cpu', 'quota.requests.cpu', num(q.requests.cpu)],
        ['limits.cpu', 'quota.limits.cpu', num(q.limits.cpu)],
      ],
      memory: [
        ['requests.memory', 'quota.requests.memory', num(q.requests.memory)],
        ['limits.memory', 'quota.limits.memory', num(q.limits.memory)],
      ],
      gpu: [['requests.nvidia.com/gpu', 'quota.gpu', q.gpu]],
    };
    const text = (res: 'cpu' | 'memory' | 'gpu', n: number): string => (res === 'memory' ? `${+(n / 1024 ** 3).toFixed(2)}Gi` : String(+n.toFixed(3)));
    const check = (path: string, what: string, need: { cpu: number; memory: number; gpu: number }): boolean => {
      let fits = true;
      for (const res of ['cpu', 'memory', 'gpu'] as const) {
        const over = hardOf[res].filter((e): e is [string, string, number] => e[2] !== undefined && need[res] > e[2]);
        if (over.length === 0) continue;
        fits = false;
        const keys = over.map(([, key]) => `teams[${team.name}].${key}`).join(' and ');
        ctx.errors.push({
          file: ctx.file,
          path,
          message: `${what} needs ${res} ${text(res, need[res])} but the team ResourceQuota allows ${over.map(([k, , v]) => `${k} ${text(res, v)}`).join(', ')}: the API server would reject the pod`,
          fix: `raise ${keys} (default: queue.capability), or make the pods smaller`,
        });
      }
      return fits;
    };
    // When the head alone does not fit, every group repeats that: report the head only.
    if (!check(`teams[${team.name}].ray.head`, 'the Ray head with its autoscaler', head)) continue;
    for (const g of team.ray.workerGroups) {
      if (g.maxReplicas === 0) continue;
      check(`teams[${team.name}].ray.workerGroups[${g.name}]`, 'the Ray head plus one pod of this group', {
        cpu: head.cpu + quantityValue(g.cpu),
        memory: head.memory + quantityValue(g.memory),
        gpu: g.gpus,
      });
    }
  }
};

/** A LimitRange whose default request exceeds its default limit is rejected by the API server. */
export const teamContainerDefaults: Rule = (ctx) => {
  const { teams } = normalizePoolsAndTeams(ctx.input);
  for (const team of teams) {
    for (const res of ['cpu', 'memory'] as const) {
      const request = team.containerDefaults.request[res];
      const limit = team.containerDefaults.limit[res];
      if (quantityValue(request) > quantityValue(limit)) {
        ctx.errors.push({
          file: ctx.file,
          path: `teams[${team.name}].containerDefaults.request.${res}`,
          message: `must be <= the default limit (${limit})`,
          value: request,
          fix: `lower it, or raise containerDefaults.limit.${res}`,
        });
      }
    }
  }
};

/** A team name becomes a namespace: it must not take over a system or platform namespace. */
export const teamNamespaces: Rule = (ctx) => {
  for (const team of ctx.input.teams ?? []) {
    if (RESERVED_NAMESPACES.includes(team.name)) {
      ctx.errors.push({
        file: ctx.file,
        path: `teams[${team.name}].name`,
        message: 'is a system or platform namespace: the team would share it (quota, default-deny NetworkPolicies) with platform pods',
        value: team.name,
        fix: `rename the team (reserved: ${RESERVED_NAMESPACES.join(', ')})`,
      });
    }
  }
};

/** teams[].s3: bucket names and ARNs, KMS keys, prefixes, lifecycle order, one owner per created bucket (lib/config/s3.ts). */
export const teamS3: Rule = (ctx) => {
  ctx.errors.push(...teamS3Problems(ctx.input, ctx.file));
};

/** An absolute, clean path below the root: no `.`/`..` segments, no doubled or trailing slash, nothing a shell or YAML would read differently. */
const MOUNT_PATH = /^(?:\/[A-Za-z0-9_][A-Za-z0-9._-]*)+$/;

const covers = (a: string, b: string) => a === b || b.startsWith(`${a}/`);

/**
 * A team's shared volume needs storage.efs (the file system and its StorageClass), and its mount path must
 * be a clean absolute path that neither covers nor sits under a path the Ray pods or notebooks already use.
 */
export const teamSharedStorage: Rule = (ctx) => {
  const efs = ctx.input.storage?.efs === true;
  for (const team of ctx.input.teams ?? []) {
    const shared = team.sharedStorage;
    if (shared === undefined) continue;
    const path = `teams[${team.name}].sharedStorage`;
    if (!efs) {
      ctx.errors.push({
        file: ctx.file,
        path,
        message: 'needs the shared EFS file system, but storage.efs is off',
        fix: 'set storage: { efs: true } (terraform/bootstrap then creates the file system), or remove sharedStorage',
      });
    }
    const mount = shared.mountPath;
    if (mount === undefined) continue;
    if (!MOUNT_PATH.test(mount) || mount.split('/').some((s) => s === '.' || s === '..')) {
      ctx.errors.push({
        file: ctx.file,
        path: `${path}.mountPath`,
        message: 'must be an absolute path without ., .. or a trailing slash',
        value: mount,
        fix: `use a path such as '${SHARED_STORAGE_DEFAULTS.mountPath}'`,
      });
      continue;
    }
    const clash = Object.entries(RESERVED_MOUNT_PATHS).find(([reserved]) => covers(reserved, mount) || covers(mount, reserved));
    if (clash) {
      ctx.errors.push({
        file: ctx.file,
        path: `${path}.mountPath`,
        message: `collides with ${clash[0]}: ${clash[1]}`,
        value: mount,
        fix: `mount it elsewhere, e.g. '${SHARED_STORAGE_DEFAULTS.mountPath}' (the default)`,
      });
    }
  }
  // The team claim counts against the namespace's requests.storage: a bigger one is refused at admission.
  if (!efs) return;
  for (const team of normalizePoolsAndTeams(ctx.input).teams) {
    const shared = team.sharedStorage;
    if (shared && quantityValue(shared.size) > quantityValue(team.quota.storage)) {
      ctx.errors.push({
        file: ctx.file,
        path: `teams[${team.name}].sharedStorage.size`,
        message: `is more than the team's storage quota ${team.quota.storage} (requests.storage): the ResourceQuota would refuse the claim`,
        value: shared.size,
        fix: `lower the size or raise teams[${team.name}].quota.storage`,
      });
    }
  }
};

/**
 * Cost budgets name teams of this cluster; the cost view reads the platform Prometheus, so it needs observability.
 * A budget while the cost view is off would silently never alert: a warning.
 */
export const costBudgets: Rule = (ctx) => {
  const cost = ctx.input.cost;
  if (cost === undefined) return;
  const teams = (ctx.input.teams ?? []).map((t) => t.name);
  for (const team of Object.keys(cost.budgets ?? {})) {
    if (!teams.includes(team)) {
      const guess = closest(team, teams);
      ctx.errors.push({
        file: ctx.file,
        path: `cost.budgets.${team}`,
        message: 'is a budget for a team this cluster does not have',
        value: team,
        fix: guess ? `did you mean '${guess}'?` : teams.length > 0 ? `use one of ${teams.join(', ')}` : 'add the team to teams, or remove the budget',
      });
    }
  }
  if (cost.enabled === true && ctx.input.observability?.enabled === false) {
    ctx.errors.push({
      file: ctx.file,
      path: 'cost.enabled',
      message: 'needs observability: OpenCost reads and writes the platform Prometheus, and the cost dashboard and alerts live there',
      value: true,
      fix: 'set observability.enabled: true, or cost.enabled: false',
    });
  }
  if (cost.enabled !== true && Object.keys(cost.budgets ?? {}).length > 0) {
    ctx.warnings.push({
      file: ctx.file,
      path: 'cost.budgets',
      message: 'has budgets but the cost view is off, so no budget alert can fire',
      value: Object.keys(cost.budgets ?? {}).join(', '),
      fix: 'set cost.enabled: true, or remove the budgets',
    });
  }
};

export const RULES: readonly Rule[] = [
  gpuPrerequisites,
  nameMatchesFile,
  knownRegion,
  gitRepoUrl,
  uniqueNames,
  atLeastOnePool,
  limitsNonNegative,
  gpuPools,
  nodeClassRefs,
  amiAliases,
  budgetsWellFormed,
  kuberayVolcano,
  teamRayClusters,
  teamQuotaFitsRay,
  teamContainerDefaults,
  teamNamespaces,
  teamSharedStorage,
  jupyterhubAuth,
  jupyterhubPrerequisites,
  jupyterhubImages,
  teamS3,
  costBudgets,
];

export function runRules(ctx: RuleContext): void {
  for (const rule of RULES) rule(ctx);
}
