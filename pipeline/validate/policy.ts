import type { ValidationProblem } from './types';
import { scalarText } from '../../lib/text';

type Obj = Record<string, unknown>;

/** One platform policy: an id (stable, used in output), the kinds it applies to, and a check returning problems. */
interface Policy {
  readonly id: string;
  readonly applies: (apiVersion: string, kind: string) => boolean;
  readonly check: (obj: Obj) => { path: string; message: string }[];
}

const asObj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isNodeClass = (apiVersion: string, kind: string): boolean => apiVersion.startsWith('karpenter.k8s.aws/') && kind === 'EC2NodeClass';
const isNodePool = (apiVersion: string, kind: string): boolean => apiVersion.startsWith('karpenter.sh/') && kind === 'NodePool';

/** GPU instance families on AWS (g*, p*); a pool that can launch them must carry the nvidia.com/gpu taint. */
const GPU_FAMILY = /^(g\d|p\d)/;

/** Platform policies, as data: id → applies → check. Every message ends with the fix. */
export const POLICIES: readonly Policy[] = [
  {
    id: 'no-literal-secret-data',
    applies: (v, k) => v === 'v1' && k === 'Secret',
    check: (obj) =>
      (['data', 'stringData'] as const)
        .filter((f) => Object.keys(asObj(obj[f])).length > 0)
        .map((f) => ({
          path: f,
          message: 'Secret carries literal data in git: reference it instead (ExternalSecret, sealed secret or a Secret created out of band)',
        })),
  },
  {
    id: 'imds-hop-limit',
    applies: isNodeClass,
    check: (obj) => {
      const m = asObj(asObj(obj.spec).metadataOptions);
      const out: { path: string; message: string }[] = [];
      if (m.httpPutResponseHopLimit !== undefined && m.httpPutResponseHopLimit !== 1) {
        out.push({
          path: 'spec.metadataOptions.httpPutResponseHopLimit',
          message: `must be 1 so pods cannot reach the node's IMDS credentials (got ${scalarText(m.httpPutResponseHopLimit)}): set it to 1`,
        });
      }
      if (m.httpTokens !== undefined && m.httpTokens !== 'required') {
        out.push({
          path: 'spec.metadataOptions.httpTokens',
          message: `must be "required" (IMDSv2 only, got ${JSON.stringify(m.httpTokens)}): set httpTokens: required`,
        });
      }
      return out;
    },
  },
  {
    id: 'encrypted-volumes',
    applies: isNodeClass,
    check: (obj) =>
      asList(asObj(obj.spec).blockDeviceMappings).flatMap((b, i) =>
        asObj(asObj(b).ebs).encrypted === true
          ? []
          : [{ path: `spec.blockDeviceMappings[${i}].ebs.encrypted`, message: 'EBS volume is not encrypted: set ebs.encrypted: true' }],
      ),
  },
  {
    id: 'no-latest-ami-alias',
    applies: isNodeClass,
    check: (obj) =>
      asList(asObj(obj.spec).amiSelectorTerms).flatMap((t, i) => {
        const alias = asObj(t).alias;
        return typeof alias === 'string' && alias.endsWith('@latest')
          ? [
              {
                path: `spec.amiSelectorTerms[${i}].alias`,
                message: `AMI alias ${alias} rolls nodes on every AMI release: pin a version, e.g. ${alias.startsWith('bottlerocket@') ? 'bottlerocket@v1.64.0' : 'al2023@v20260714'}`,
              },
            ]
          : [];
      }),
  },
  {
    id: 'gpu-pool-tainted',
    applies: isNodePool,
    check: (obj) => {
      const spec = asObj(asObj(asObj(obj.spec).template).spec);
      const gpuFamilies = asList(spec.requirements).some((r) => {
        const req = asObj(r);
        return (
          req.key === 'karpenter.k8s.aws/instance-family' &&
          req.operator === 'In' &&
          asList(req.values).some((v) => typeof v === 'string' && GPU_FAMILY.test(v))
        );
      });
      const gpuLimit = 'nvidia.com/gpu' in asObj(asObj(obj.spec).limits);
      if (!gpuFamilies && !gpuLimit) return [];
      const tainted = asList(spec.taints).some((t) => asObj(t).key === 'nvidia.com/gpu' && asObj(t).effect === 'NoSchedule');
      return tainted
        ? []
        : [{ path: 'spec.template.spec.taints', message: 'GPU pool has no nvidia.com/gpu:NoSchedule taint, so any pod can land on GPU nodes: add the taint' }];
    },
  },
];

/**
 * Policies that need the whole cluster and so run with the cross-resource checks (cross.ts):
 * heads-not-on-spot — a Ray head must not be schedulable on spot capacity (its loss kills the cluster).
 */
export const CROSS_POLICY_IDS = ['heads-not-on-spot'] as const;

/** Every policy id, for --policy and eksai.validate.json. */
export const POLICY_IDS: readonly string[] = [...POLICIES.map((p) => p.id), ...CROSS_POLICY_IDS];

export type PolicySeverity = 'error' | 'warning' | 'off';

/** Policy findings for one object; the rule field carries `policy/<id>`. */
export function policyProblems(apiVersion: string, kind: string, obj: Obj): ValidationProblem[] {
  return POLICIES.filter((p) => p.applies(apiVersion, kind)).flatMap((p) => p.check(obj).map((f) => ({ ...f, rule: `policy/${p.id}` })));
}

/**
 * Applies per-policy severities to a document's problems: `off` drops a policy's findings, `warning` keeps
 * them without making the document invalid. Non-policy problems pass through.
 */
export function applySeverities(problems: readonly ValidationProblem[], severities: Readonly<Record<string, PolicySeverity>>): ValidationProblem[] {
  return problems.flatMap((p) => {
    const id = p.rule?.startsWith('policy/') ? p.rule.slice('policy/'.length) : undefined;
    const severity = id ? severities[id] : undefined;
    if (severity === 'off') return [];
    return severity === 'warning' ? [{ ...p, severity: 'warning' as const }] : [p];
  });
}
