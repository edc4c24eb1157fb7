import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, type Problem } from '../errors';
import { shownValue } from './facts';
import { scalarText } from '../text';

/**
 * AMI aliases verified at lookup time. Karpenter resolves an EC2NodeClass alias through public SSM
 * parameters for the cluster's Kubernetes version; a release that does not exist (al2023@v20251117:
 * amazon-eks-ami went v20251112 → v20251120) makes it find no AMI and launch no node, silently.
 * `eksai lookup` reads the same parameters and records the AMI ids in the lookups file; synth refuses
 * an alias that file has not verified for the cluster's Kubernetes version.
 */

export type Arch = 'amd64' | 'arm64';
/** The Karpenter AMI variants a pool can launch: standard for cpu/memory pools, nvidia for gpu pools (no pool kind launches Neuron). */
export type Variant = 'standard' | 'nvidia';
/** `amd64/standard`, `arm64/nvidia`, ... (Kubernetes architecture names, as in NodePool requirements). */
export type ImageKey = `${Arch}/${Variant}`;

/** What of a cluster decides which AMIs it needs (satisfied by ClusterConfig and by normalised input). */
export interface NodeImageInputs {
  readonly kubernetesVersion: string;
  readonly nodeClasses: readonly { readonly name: string; readonly amiAlias: string }[];
  readonly nodePools: readonly { readonly name: string; readonly nodeClass: string; readonly kind: string; readonly arch: readonly Arch[] }[];
}

export interface ImageNeed {
  readonly key: ImageKey;
  /** Public SSM parameter holding the AMI id. */
  readonly parameter: string;
  /** Pools that launch this image (empty for a node class no pool uses). */
  readonly pools: readonly string[];
}

export interface AmiNeed {
  readonly alias: string;
  /** Node classes using the alias (the first one is where errors point). */
  readonly nodeClasses: readonly string[];
  readonly kubernetesVersion: string;
  readonly images: readonly ImageNeed[];
}

/** `amis` section of the lookups file: per alias, the Kubernetes version it was resolved for and the AMI id per image. */
export interface AmiRecord {
  readonly kubernetesVersion: string;
  readonly images: Readonly<Partial<Record<ImageKey, string>>>;
}

export const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

const PINNED = /^(al2023)@(v\d{8})$|^(bottlerocket)@(v\d+\.\d+\.\d+)$/;
const SSM_ARCH: Record<Arch, string> = { amd64: 'x86_64', arm64: 'arm64' };

/**
 * The public SSM parameter Karpenter v1.14.1 reads for an alias (aws/karpenter-provider-aws
 * pkg/providers/amifamily/al2023.go resolvePath and bottlerocket.go DescribeImageQuery at v1.14.1):
 *   /aws/service/eks/optimized-ami/<k8s>/amazon-linux-2023/<x86_64|arm64>/<variant>/amazon-eks-node-al2023-<arch>-<variant>-<k8s>-<release>/image_id
 *   /aws/service/bottlerocket/aws-k8s-<k8s>[-nvidia]/<x86_64|arm64>/<version without v>/image_id
 */
export function amiParameter(family: 'al2023' | 'bottlerocket', arch: Arch, variant: Variant, kubernetesVersion: string, release: string): string {
  const a = SSM_ARCH[arch];
  if (family === 'al2023') {
    return `/aws/service/eks/optimized-ami/${kubernetesVersion}/amazon-linux-2023/${a}/${variant}/amazon-eks-node-al2023-${a}-${variant}-${kubernetesVersion}-${release}/image_id`;
  }
  return `/aws/service/bottlerocket/aws-k8s-${kubernetesVersion}${variant === 'nvidia' ? '-nvidia' : ''}/${a}/${release.replace(/^v/, '')}/image_id`;
}

/**
 * Every pinned alias of a cluster with the images its pools can launch: each architecture of each pool
 * using a class, nvidia for gpu pools and standard otherwise; a class no pool uses needs amd64/standard.
 * `@latest` and malformed aliases are left to the amiAliases rule.
 */
export function amiNeeds(inputs: NodeImageInputs): AmiNeed[] {
  const byAlias = new Map<string, { classes: string[]; images: Map<ImageKey, string[]> }>();
  for (const c of inputs.nodeClasses) {
    if (!PINNED.test(c.amiAlias)) continue;
    const entry = byAlias.get(c.amiAlias) ?? { classes: [], images: new Map<ImageKey, string[]>() };
    byAlias.set(c.amiAlias, entry);
    entry.classes.push(c.name);
    const pools = inputs.nodePools.filter((p) => p.nodeClass === c.name);
    for (const p of pools) {
      for (const arch of p.arch) {
        const key: ImageKey = `${arch}/${p.kind === 'gpu' ? 'nvidia' : 'standard'}`;
        entry.images.set(key, [...(entry.images.get(key) ?? []), p.name]);
      }
    }
    if (pools.length === 0 && !entry.images.has('amd64/standard')) entry.images.set('amd64/standard', []);
  }
  return [...byAlias.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([alias, { classes, images }]) => {
      const m = PINNED.exec(alias)!;
      const family = (m[1] ?? m[3]) as 'al2023' | 'bottlerocket';
      const release = (m[2] ?? m[4])!;
      return {
        alias,
        nodeClasses: classes,
        kubernetesVersion: inputs.kubernetesVersion,
        images: [...images.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([key, pools]) => {
            const [arch, variant] = key.split('/') as [Arch, Variant];
            return { key, parameter: amiParameter(family, arch, variant, inputs.kubernetesVersion, release), pools: [...new Set(pools)].sort() };
          }),
      };
    });
}

const forPools = (img: ImageNeed): string => (img.pools.length > 0 ? `pool${img.pools.length > 1 ? 's' : ''} ${img.pools.join(', ')}` : 'the node class');

/**
 * Synth's rule (and lookup's check before it writes): every pinned alias has an AMI id recorded for the
 * cluster's Kubernetes version and every image its pools launch.
 */
export function amiProblems(cluster: string, clusterFile: string, inputs: NodeImageInputs, doc: unknown, problems: Problem[]): void {
  const rel = `clusters/${cluster}.lookups.json`;
  const fix = `run \`eksai lookup --cluster ${cluster}\` (it resolves the alias through the public SSM parameters Karpenter reads and records the AMI ids), then synth`;
  const needs = amiNeeds(inputs);
  const amis = (doc as { amis?: unknown } | null | undefined)?.amis;
  if (amis !== undefined && (typeof amis !== 'object' || amis === null || Array.isArray(amis))) {
    problems.push({ file: rel, path: 'amis', message: 'must be an object of verified AMI aliases', fix });
    return;
  }
  const record = (amis ?? {}) as Record<string, unknown>;
  for (const need of needs) {
    const at = `karpenter.nodeClasses[${need.nodeClasses[0]}].amiAlias`;
    const entry = Object.prototype.hasOwnProperty.call(record, need.alias) ? (record[need.alias] as Partial<AmiRecord> | null) : undefined;
    if (entry === undefined || entry === null || typeof entry !== 'object') {
      problems.push({ file: clusterFile, path: at, message: `is not verified: ${rel} has no AMI ids for it`, value: need.alias, fix });
      continue;
    }
    if (entry.kubernetesVersion !== need.kubernetesVersion) {
      problems.push({
        file: clusterFile,
        path: at,
        message: `is verified for Kubernetes ${shownValue(String(entry.kubernetesVersion))} in ${rel}, but the cluster runs ${need.kubernetesVersion}`,
        value: need.alias,
        fix,
      });
      continue;
    }
    const images = (typeof entry.images === 'object' && entry.images !== null ? entry.images : {}) as Record<string, unknown>;
    for (const img of need.images) {
      const id = images[img.key];
      if (typeof id !== 'string' || !AMI_ID.test(id)) {
        const got = id === undefined ? 'has no' : `has a malformed (${shownValue(scalarText(id))})`;
        problems.push({
          file: clusterFile,
          path: at,
          message: `is not verified for ${img.key} (launched by ${forPools(img)}): ${rel} ${got} AMI id for it`,
          value: need.alias,
          fix,
        });
      }
    }
  }
}

/** An alias names a release SSM does not have (or SSM holds no AMI id there). Exit code 1, nothing written. */
export class UnknownAmiReleaseError extends ConfigError {
  constructor(problems: readonly Problem[]) {
    super(problems);
    this.name = 'UnknownAmiReleaseError';
  }
}

/** GetParameters takes at most 10 names per call. */
const BATCH = 10;

export interface AmiSend {
  readonly client: SSMClient;
  readonly signal: AbortSignal;
}

/**
 * Resolves every needed image through GetParameters (what Karpenter's ssm.Provider reads one by one
 * with GetParameter). Returns the `amis` section; every parameter SSM lacks is a problem on the alias.
 */
export async function resolveAmis(
  send: AmiSend,
  cluster: string,
  clusterFile: string,
  region: string,
  needs: readonly AmiNeed[],
): Promise<Record<string, AmiRecord>> {
  const names = [...new Set(needs.flatMap((n) => n.images.map((i) => i.parameter)))].sort();
  const values = new Map<string, string>();
  for (let i = 0; i < names.length; i += BATCH) {
    const out = await send.client.send(new GetParametersCommand({ Names: names.slice(i, i + BATCH), WithDecryption: false }), { abortSignal: send.signal });
    for (const p of out.Parameters ?? []) if (p.Name !== undefined && p.Value !== undefined) values.set(p.Name, p.Value);
  }
  const problems: Problem[] = [];
  const amis: Record<string, AmiRecord> = {};
  for (const need of needs) {
    const at = `karpenter.nodeClasses[${need.nodeClasses[0]}].amiAlias`;
    const images: Partial<Record<ImageKey, string>> = {};
    for (const img of need.images) {
      const id = values.get(img.parameter);
      const family = need.alias.startsWith('bottlerocket@')
        ? 'https://github.com/bottlerocket-os/bottlerocket/releases'
        : 'https://github.com/awslabs/amazon-eks-ami/releases';
      if (id === undefined) {
        problems.push({
          file: clusterFile,
          path: at,
          message: `names a release SSM does not have for Kubernetes ${need.kubernetesVersion} in ${region}: no ${img.parameter} (the ${img.key} image of ${forPools(img)}), so Karpenter would launch no node; nothing was written`,
          value: need.alias,
          fix: `pin a release that exists for Kubernetes ${need.kubernetesVersion} (see ${family}), then rerun \`eksai lookup --cluster ${cluster}\``,
        });
      } else if (!AMI_ID.test(id)) {
        problems.push({
          file: clusterFile,
          path: at,
          message: `resolves to ${img.parameter} = ${JSON.stringify(shownValue(id))}, which is not an AMI id; nothing was written`,
          value: need.alias,
          fix: `check the SSM endpoint (AWS_ENDPOINT_URL_SSM), then rerun \`eksai lookup --cluster ${cluster}\``,
        });
      } else {
        images[img.key] = id;
      }
    }
    amis[need.alias] = { kubernetesVersion: need.kubernetesVersion, images };
  }
  if (problems.length > 0) throw new UnknownAmiReleaseError(problems);
  return amis;
}
