terraform {
  # 1.10: S3 backend native locking (use_lockfile).
  required_version = ">= 1.10.0, < 2.0.0"

  # One state per cluster: a workspace per cluster in one S3 backend (README.md, "Terraform state").
  # Partial configuration: `terraform init -backend-config=backend.hcl` supplies bucket, key, region
  # and use_lockfile = true; inputs.tf refuses a workspace whose name is not the cluster's.
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "2.17.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

provider "helm" {
  kubernetes {
    host                   = module.eks.cluster_endpoint
    cluster_ca_certificate = base64decode(module.eks.cluster_certificate_authority_data)

    exec {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.eks.cluster_name, "--region", var.region]
    }
  }
}
