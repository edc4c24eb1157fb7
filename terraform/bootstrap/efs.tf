# Shared storage (EFS), only for a cluster whose config sets storage.efs (dist/<cluster>/bootstrap/terraform.json
# `efs`, pipeline/synth/bootstrap.ts), or for the one apply that first creates it (-var efs=true, README.md
# "Shared storage (EFS)"): the generator's StorageClasses need the file system id, which reaches them
# through SSM /eksai/<cluster>/storage/efs-file-system-id and `eksai lookup`.
#
# The EFS CSI driver is the EKS add-on `aws-efs-csi-driver`; its controller (service account
# kube-system/efs-csi-controller-sa) creates and deletes the access points of dynamic provisioning with
# the AWS managed policy AmazonEFSCSIDriverPolicy (kubernetes-sigs/aws-efs-csi-driver v3.4.1
# docs/iam-policy-create.md). The node DaemonSet mounts through the mount targets and needs no AWS API.

locals {
  efs = coalesce(var.efs, try(local.generated.efs, false))
}

resource "aws_efs_file_system" "shared" {
  count = local.efs ? 1 : 0

  creation_token   = "${var.cluster_name}-shared"
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }

  tags = merge(local.tags, { Name = "${var.cluster_name}-shared" })
}

# NFS from the nodes only: the core node group and every Karpenter node carry the node security group
# (module.eks node_security_group_tags karpenter.sh/discovery, the EC2NodeClass securityGroupSelectorTerms).
resource "aws_security_group" "efs" {
  count = local.efs ? 1 : 0

  name_prefix = "${var.cluster_name}-efs-"
  description = "NFS to the ${var.cluster_name} EFS mount targets from the cluster nodes only"
  vpc_id      = module.vpc.vpc_id
  tags        = merge(local.tags, { Name = "${var.cluster_name}-efs" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "efs_nfs_from_nodes" {
  count = local.efs ? 1 : 0

  security_group_id            = aws_security_group.efs[0].id
  description                  = "NFS from the cluster nodes"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = module.eks.node_security_group_id
}

# One mount target per private subnet (one per AZ): pods mount through the target in their node's AZ.
resource "aws_efs_mount_target" "shared" {
  count = local.efs ? length(local.azs) : 0

  file_system_id  = aws_efs_file_system.shared[0].id
  subnet_id       = module.vpc.private_subnets[count.index]
  security_groups = [aws_security_group.efs[0].id]
}

module "efs_csi_pod_identity" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "1.12.1"

  create = local.efs

  name = "${var.cluster_name}-efs-csi"

  additional_policy_arns = {
    AmazonEFSCSIDriverPolicy = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"
  }

  associations = {
    this = {
      cluster_name    = module.eks.cluster_name
      namespace       = "kube-system"
      service_account = "efs-csi-controller-sa"
    }
  }
}

# Like the EBS CSI driver (main.tf aws_eks_addon.after_nodes): its pods need nodes and pod networking.
# Defaults fit this cluster (charts/aws-efs-csi-driver/values.yaml at v3.4.1): the controller tolerates
# CriticalAddonsOnly (it may run on the core nodes) and the node DaemonSet tolerates every taint, so GPU
# and other tainted Karpenter nodes mount the team volumes too.
resource "aws_eks_addon" "efs_csi" {
  count = local.efs && var.install_platform ? 1 : 0

  cluster_name                = module.eks.cluster_name
  addon_name                  = "aws-efs-csi-driver"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  depends_on = [module.core_node_group, module.efs_csi_pod_identity, aws_efs_mount_target.shared]
}

resource "aws_ssm_parameter" "efs_file_system_id" {
  count = local.efs ? 1 : 0

  name        = "${local.ssm_prefix}storage/efs-file-system-id"
  description = "eksai fact read by `eksai lookup --cluster ${var.cluster_name}`"
  type        = "String"
  value       = aws_efs_file_system.shared[0].id
}
