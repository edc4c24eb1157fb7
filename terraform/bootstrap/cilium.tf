# Cilium, installed by Terraform because nothing else can run first: without a CNI no pod starts,
# Argo CD included, and EKS managed nodes never become Ready. Argo CD's `cilium` Application (wave -30)
# later syncs the same chart, version, release name, namespace and values (one source: the file
# `eksai synth` writes, inputs.tf) and so adopts the objects in place; see README.md, "Bootstrap order".

################################################################################
# The operator's AWS permissions (EKS Pod Identity), before Cilium starts
################################################################################

locals {
  # Where the operator runs and which service account it uses: charts/cilium.ts
  # (CILIUM_OPERATOR_SERVICE_ACCOUNT, the release namespace); the contract test compares both.
  cilium_operator_namespace       = "kube-system"
  cilium_operator_service_account = "cilium-operator"

  # Cilium Documentation/network/concepts/ipam/eni.rst, "Required Privileges": the EC2 actions the
  # operator needs for ENI creation and IP allocation, plus DescribeTags (ENI garbage collection is on
  # by default and eksai sets neither --cluster-name nor --eni-gc-tags). The list is the union of the
  # revisions of that section read in cilium/cilium (52d12dd: 10 actions; later: + DescribeInstanceTypes,
  # DescribeRouteTables; newest: + DescribeManagedPrefixLists, GetManagedPrefixListEntries), all read-only
  # additions, so it covers v1.19.4 whichever revision it carries. Not granted: UnassignPrivateIpAddresses
  # (only with --aws-release-excess-ips), AssignIpv6Addresses (IPv6), DescribeInstances (--instance-tags-filter).
  cilium_operator_ec2_actions = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:AttachNetworkInterface",
    "ec2:CreateNetworkInterface",
    "ec2:CreateTags",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcs",
    "ec2:GetManagedPrefixListEntries",
    "ec2:ModifyNetworkInterfaceAttribute",
  ]
}

data "aws_iam_policy_document" "pod_identity_trust" {
  statement {
    sid     = "EksPodIdentity"
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cilium_operator" {
  name               = "${var.cluster_name}-cilium-operator"
  description        = "Cilium operator of ${var.cluster_name}: ENI IPAM (bound to ${local.cilium_operator_namespace}/${local.cilium_operator_service_account} by Pod Identity)"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

data "aws_iam_policy_document" "cilium_operator" {
  statement {
    sid       = "CiliumEniIpam"
    actions   = local.cilium_operator_ec2_actions
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }
}

resource "aws_iam_role_policy" "cilium_operator" {
  name   = "cilium-eni-ipam"
  role   = aws_iam_role.cilium_operator.id
  policy = data.aws_iam_policy_document.cilium_operator.json
}

# EKS injects Pod Identity credentials when a pod is created, so the association must exist before
# the first operator pod: helm_release.cilium depends on it.
resource "aws_eks_pod_identity_association" "cilium_operator" {
  cluster_name    = module.eks.cluster_name
  namespace       = local.cilium_operator_namespace
  service_account = local.cilium_operator_service_account
  role_arn        = aws_iam_role.cilium_operator.arn

  depends_on = [aws_iam_role_policy.cilium_operator]
}

################################################################################
# The release
################################################################################

resource "helm_release" "cilium" {
  count = var.install_platform && local.cilium != null ? 1 : 0

  name       = local.cilium.release_name
  namespace  = local.cilium.namespace
  repository = local.cilium.repository
  chart      = local.cilium.chart
  version    = local.cilium.version
  values     = [jsonencode(local.cilium.values)]

  # No node exists yet when this runs (the core node group waits for it), so waiting for the
  # operator Deployment would time out; the agents start as soon as nodes join.
  wait = false

  lifecycle {
    # Argo CD owns the release after the first install (it upgrades Cilium from Git); Terraform only
    # installs it. A later `terraform apply` does not roll Cilium back or forward.
    ignore_changes = [values, version]

    precondition {
      condition     = try(local.cilium.values.k8sServiceHost, "") == trimprefix(module.eks.cluster_endpoint, "https://")
      error_message = "${local.generated_file} has k8sServiceHost ${try(local.cilium.values.k8sServiceHost, "-")}, not this cluster's endpoint ${module.eks.cluster_endpoint}: run `eksai lookup --cluster ${var.cluster_name} && npm run synth`."
    }

    precondition {
      condition     = local.cilium.namespace == local.cilium_operator_namespace && try(local.cilium.values.serviceAccounts.operator.name, "") == local.cilium_operator_service_account
      error_message = "The Cilium operator must run as ${local.cilium_operator_namespace}/${local.cilium_operator_service_account}, the service account its Pod Identity association names (charts/cilium.ts)."
    }
  }

  depends_on = [module.eks, aws_eks_pod_identity_association.cilium_operator]
}
