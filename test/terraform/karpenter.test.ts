import { beforeAll, describe, expect, it } from 'vitest';
import { CHARTS } from '../../charts/versions';
import { loadBootstrap, moduleBlock, type Block, type Tf } from './hcl';

/**
 * The Karpenter controller role has every action Karpenter's own policy grants (issue 14, item 10).
 * Karpenter's reference: karpenter-provider-aws v1.14.1
 * website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml (the
 * controller policies; `arc-zonal-shift:GetManagedResource` is left out: zonal shift is opt-in, upgrade
 * guide "Upgrading to 1.12.0+"). Required since 1.7: iam:ListInstanceProfiles; since 1.12:
 * ec2:DescribeInstanceStatus (website/content/en/docs/upgrading/upgrade-guide.md).
 */
const KARPENTER_1_14_1_CONTROLLER_ACTIONS = [
  'ec2:RunInstances',
  'ec2:CreateFleet',
  'ec2:CreateLaunchTemplate',
  'ec2:CreateTags',
  'ec2:TerminateInstances',
  'ec2:DeleteLaunchTemplate',
  'iam:PassRole',
  'iam:CreateInstanceProfile',
  'iam:TagInstanceProfile',
  'iam:AddRoleToInstanceProfile',
  'iam:RemoveRoleFromInstanceProfile',
  'iam:DeleteInstanceProfile',
  'eks:DescribeCluster',
  'sqs:DeleteMessage',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
  'ec2:DescribeCapacityReservations',
  'ec2:DescribeImages',
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceStatus',
  'ec2:DescribeInstanceTypeOfferings',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribePlacementGroups',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSpotPriceHistory',
  'ec2:DescribeSubnets',
  'ssm:GetParameter',
  'pricing:GetProducts',
  'iam:ListInstanceProfiles',
  'iam:GetInstanceProfile',
];

/**
 * What terraform-aws-modules/eks 20.37.2 modules/karpenter/policy.tf grants with `enable_v1_permissions`
 * (data "aws_iam_policy_document" "v1"), without the interruption-queue statement (this root sets
 * enable_spot_termination = false and attaches its own queue policy).
 */
const MODULE_20_37_2_V1_ACTIONS = [
  'ec2:RunInstances',
  'ec2:CreateFleet',
  'ec2:CreateLaunchTemplate',
  'ec2:CreateTags',
  'ec2:TerminateInstances',
  'ec2:DeleteLaunchTemplate',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeImages',
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceTypeOfferings',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSpotPriceHistory',
  'ec2:DescribeSubnets',
  'ssm:GetParameter',
  'pricing:GetProducts',
  'iam:PassRole',
  'iam:CreateInstanceProfile',
  'iam:TagInstanceProfile',
  'iam:AddRoleToInstanceProfile',
  'iam:RemoveRoleFromInstanceProfile',
  'iam:DeleteInstanceProfile',
  'iam:GetInstanceProfile',
  'eks:DescribeCluster',
];

let tf: Tf;
beforeAll(async () => {
  tf = await loadBootstrap();
});

/** Actions of the root's own policy documents attached through iam_role_policies (by data source name). */
function attachedPolicyActions(karpenter: Block): string[] {
  const out: string[] = [];
  for (const arn of Object.values(karpenter.iam_role_policies as Record<string, string>)) {
    const policy = /^\$\{aws_iam_policy\.(\w+)\.arn\}$/.exec(arn)?.[1];
    if (!policy) continue;
    const doc = /^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$/.exec(String(tf.resource.aws_iam_policy![policy]![0]!.policy))![1]!;
    for (const s of tf.data.aws_iam_policy_document![doc]![0]!.statement as Block[]) out.push(...(s.actions as string[]));
  }
  return out;
}

function grantedActions(): Set<string> {
  const k = moduleBlock(tf, 'karpenter');
  const extra = (k.iam_policy_statements as Block[]).flatMap((s) => s.actions as string[]);
  return new Set([...MODULE_20_37_2_V1_ACTIONS, ...extra, ...attachedPolicyActions(k)]);
}

describe('Karpenter controller role', () => {
  it('pins the module version whose policy the table above describes, for the Karpenter the charts deploy', () => {
    const k = moduleBlock(tf, 'karpenter');
    expect(k).toMatchObject({
      source: 'terraform-aws-modules/eks/aws//modules/karpenter',
      version: '20.37.2',
      enable_v1_permissions: true,
      enable_spot_termination: false,
    });
    expect(CHARTS.karpenter.version).toBe('1.14.1');
  });

  it("grants every action of Karpenter 1.14.1's controller policy", () => {
    const granted = grantedActions();
    expect(KARPENTER_1_14_1_CONTROLLER_ACTIONS.filter((a) => !granted.has(a))).toEqual([]);
  });

  it('fails without the additions: the module alone lacks what 1.7 and 1.12 require', () => {
    const moduleOnly = new Set(MODULE_20_37_2_V1_ACTIONS);
    expect(KARPENTER_1_14_1_CONTROLLER_ACTIONS.filter((a) => !moduleOnly.has(a) && !a.startsWith('sqs:')).sort()).toEqual([
      'ec2:DescribeCapacityReservations',
      'ec2:DescribeInstanceStatus',
      'ec2:DescribePlacementGroups',
      'iam:ListInstanceProfiles',
    ]);
  });

  it('scopes the added read actions to the cluster region like upstream', () => {
    const reads = (moduleBlock(tf, 'karpenter').iam_policy_statements as Block[]).find((s) => (s.actions as string[]).includes('ec2:DescribeInstanceStatus'))!;
    expect(reads.conditions).toEqual([{ test: 'StringEquals', variable: 'aws:RequestedRegion', values: ['${var.region}'] }]);
  });
});
