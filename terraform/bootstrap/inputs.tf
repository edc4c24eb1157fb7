# What this root reads from eksai, and the guards that keep one state per cluster.
#
# `eksai synth` writes dist/<cluster>/bootstrap/terraform.json (pipeline/synth/bootstrap.ts) from the same
# cluster config that renders the manifests: the Kubernetes version (ClusterConfig.kubernetesVersion)
# and the Cilium release (chart, version, release name, namespace and values, read off the generated
# `cilium` Application). test/terraform/contract.test.ts keeps the file identical to that Application.
#
# The file needs the cluster's lookups (the Cilium values carry the API endpoint), which need the
# cluster: so the very first apply of a new cluster runs with install_platform = false and
# kubernetes_version set (README.md, "Bootstrap order"); every later apply reads the file.

locals {
  generated_file = "${path.module}/../../dist/${var.cluster_name}/bootstrap/terraform.json"
  generated      = fileexists(local.generated_file) ? jsondecode(file(local.generated_file)) : null

  # try(): HCL evaluates attribute access on a null object as an error, even where a branch is unused.
  kubernetes_version = try(local.generated.kubernetes_version, var.kubernetes_version)

  # The Cilium release eksai renders, or null (no file yet, or Cilium off for this cluster).
  cilium = try(local.generated.cilium, null)

  # Only a cluster whose config turns Cilium off gets the EKS VPC CNI and kube-proxy add-ons.
  vpc_cni = local.generated != null && local.cilium == null
}

resource "terraform_data" "inputs" {
  input = {
    cluster_name       = var.cluster_name
    kubernetes_version = local.kubernetes_version
  }

  lifecycle {
    # One state per cluster: a workspace named after the cluster (README.md, "Terraform state").
    # Without this guard `apply -var cluster_name=staging` in dev's state would replace dev.
    precondition {
      condition     = terraform.workspace == var.cluster_name
      error_message = "terraform workspace is '${terraform.workspace}' but cluster_name is '${var.cluster_name}': each cluster has its own state; run `terraform workspace select -or-create ${var.cluster_name}` first."
    }

    precondition {
      condition     = !var.install_platform || local.generated != null
      error_message = "${local.generated_file} does not exist: run `eksai lookup --cluster ${var.cluster_name} && npm run synth` after the first apply, or pass -var install_platform=false for the first apply of a new cluster."
    }

    precondition {
      condition     = local.generated == null || (try(local.generated.cluster_name, "") == var.cluster_name && try(local.generated.region, "") == var.region)
      error_message = "${local.generated_file} belongs to cluster '${try(local.generated.cluster_name, "?")}' in '${try(local.generated.region, "?")}', not '${var.cluster_name}' in '${var.region}': set region to the one in clusters/${var.cluster_name}.ts."
    }

    precondition {
      condition     = local.kubernetes_version != null
      error_message = "kubernetes_version is required for the first apply (before ${local.generated_file} exists): pass the kubernetesVersion of clusters/${var.cluster_name}.ts (platform default 1.35)."
    }

    precondition {
      condition     = local.generated == null || var.kubernetes_version == null || var.kubernetes_version == try(local.generated.kubernetes_version, "")
      error_message = "kubernetes_version ${coalesce(var.kubernetes_version, "-")} differs from ${try(local.generated.kubernetes_version, "-")} in ${local.generated_file}: the version comes from clusters/${var.cluster_name}.ts; drop -var kubernetes_version."
    }

    # The file system holds every team's shared data: only the cluster file turns it off (efs.tf).
    precondition {
      condition     = !(var.efs == false && try(local.generated.efs, false))
      error_message = "-var efs=false would delete the EFS file system of ${var.cluster_name} and every team's shared data, while ${local.generated_file} still asks for it: turn storage.efs off in clusters/${var.cluster_name}.ts (after copying the data), synth, then apply without -var efs."
    }
  }
}
