import { beforeAll, describe, expect, it } from 'vitest';
import { clusters } from '../../clusters';
import { loadClusters } from '../../charts/checks';
import { BOOTSTRAP_INPUT_PATH } from '../../pipeline/synth/bootstrap';
import { REPO_ROOT, bootstrapInputOf, dependsOn, distObjects, loadBootstrap, moduleBlock, resource, type Block, type Tf } from './hcl';

/**
 * terraform/bootstrap/efs.tf against what the generator renders: the file system exists exactly for the
 * clusters whose config asks for it, only the nodes reach NFS, and the EFS CSI controller's Pod Identity
 * role is the AWS managed policy on the service account the add-on runs as.
 */

let tf: Tf;
beforeAll(async () => {
  tf = await loadBootstrap();
});

/** Every EFS resource of the root: all gated on local.efs. */
const EFS_RESOURCES = [
  ['aws_efs_file_system', 'shared'],
  ['aws_security_group', 'efs'],
  ['aws_vpc_security_group_ingress_rule', 'efs_nfs_from_nodes'],
  ['aws_efs_mount_target', 'shared'],
  ['aws_ssm_parameter', 'efs_file_system_id'],
] as const;

describe('terraform/bootstrap shared storage (EFS)', () => {
  it('creates every EFS resource only when the cluster asks for shared storage', () => {
    for (const [type, name] of EFS_RESOURCES) expect(String(resource(tf, type, name).count), `${type}.${name}`).toMatch(/^\$\{local\.efs \?/);
    expect(moduleBlock(tf, 'efs_csi_pod_identity').create).toBe('${local.efs}');
    expect(resource(tf, 'aws_eks_addon', 'efs_csi').count).toBe('${local.efs && var.install_platform ? 1 : 0}');
    expect(tf.variable.efs![0]).toMatchObject({ type: '${bool}', default: null });
  });

  it('asks for it in the generated input exactly for the clusters whose dist renders EFS classes', () => {
    const { configs } = loadClusters(
      Object.entries(clusters).map(([name, input]) => ({ name, file: `clusters/${name}.ts`, input })),
      REPO_ROOT,
    );
    for (const c of configs) {
      const efsClasses = distObjects(c.name).filter(({ obj }) => obj.kind === 'StorageClass' && obj.provisioner === 'efs.csi.aws.com');
      expect(bootstrapInputOf(c.name).efs, `${c.name}: ${BOOTSTRAP_INPUT_PATH}`).toBe(efsClasses.length > 0);
      for (const { obj } of efsClasses) expect((obj.parameters as Block).fileSystemId).toBe(c.facts.parameters['storage/efs-file-system-id']);
    }
  });

  it('encrypts the file system at rest', () => {
    expect(resource(tf, 'aws_efs_file_system', 'shared').encrypted).toBe(true);
  });

  it('puts a mount target in every private subnet, behind the EFS security group', () => {
    const mt = resource(tf, 'aws_efs_mount_target', 'shared');
    expect(mt.count).toBe('${local.efs ? length(local.azs) : 0}');
    expect(mt.subnet_id).toBe('${module.vpc.private_subnets[count.index]}');
    expect(String(moduleBlock(tf, 'vpc').private_subnets)).toContain('local.azs');
    expect(mt.security_groups).toEqual(['${aws_security_group.efs[0].id}']);
    expect(mt.file_system_id).toBe('${aws_efs_file_system.shared[0].id}');
  });

  it('admits only NFS (TCP 2049) from the node security group the core nodes and Karpenter nodes carry', () => {
    const rules = Object.entries(tf.resource.aws_vpc_security_group_ingress_rule ?? {}).filter(
      ([, [b]]) => b!.security_group_id === '${aws_security_group.efs[0].id}',
    );
    expect(rules.map(([n]) => n)).toEqual(['efs_nfs_from_nodes']);
    const rule = rules[0]![1][0]!;
    expect(rule).toMatchObject({ ip_protocol: 'tcp', from_port: 2049, to_port: 2049, referenced_security_group_id: '${module.eks.node_security_group_id}' });
    expect(rule.cidr_ipv4).toBeUndefined();
    expect(rule.cidr_ipv6).toBeUndefined();
    const sg = resource(tf, 'aws_security_group', 'efs');
    expect(sg.ingress).toBeUndefined();
    expect(sg.vpc_id).toBe('${module.vpc.vpc_id}');
    // The SG Karpenter nodes select (EC2NodeClass securityGroupSelectorTerms: karpenter.sh/discovery) is the node SG.
    expect(moduleBlock(tf, 'eks').node_security_group_tags).toEqual({ 'karpenter.sh/discovery': '${var.cluster_name}' });
    expect(moduleBlock(tf, 'core_node_group').vpc_security_group_ids).toEqual(['${module.eks.node_security_group_id}']);
  });

  it('installs the aws-efs-csi-driver add-on after the nodes, with the controller role bound first', () => {
    const addon = resource(tf, 'aws_eks_addon', 'efs_csi');
    expect(addon.addon_name).toBe('aws-efs-csi-driver');
    expect(dependsOn(addon)).toEqual(expect.arrayContaining(['module.core_node_group', 'module.efs_csi_pod_identity', 'aws_efs_mount_target.shared']));
  });

  it('gives the controller service account its own Pod Identity role with the AWS managed AmazonEFSCSIDriverPolicy only', () => {
    const m = moduleBlock(tf, 'efs_csi_pod_identity');
    expect(m.source).toBe('terraform-aws-modules/eks-pod-identity/aws');
    expect(m.additional_policy_arns).toEqual({
      AmazonEFSCSIDriverPolicy: 'arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy',
    });
    // kubernetes-sigs/aws-efs-csi-driver v3.4.1 docs/iam-policy-create.md: the controller runs as efs-csi-controller-sa.
    expect(m.associations).toEqual({
      this: { cluster_name: '${module.eks.cluster_name}', namespace: 'kube-system', service_account: 'efs-csi-controller-sa' },
    });
    expect(Object.keys(m).filter((k) => k.startsWith('attach_'))).toEqual([]);
  });

  it('refuses a -var efs=false that would delete the file system the cluster config still asks for', () => {
    const pre = resource(tf, 'terraform_data', 'inputs').lifecycle[0].precondition as { condition: string; error_message: string }[];
    const guard = pre.find((p) => p.condition.includes('var.efs'));
    expect(guard?.condition).toBe('${!(var.efs == false && try(local.generated.efs, false))}');
    expect(guard?.error_message).toContain("every team's shared data");
  });
});
