variable "cluster_name" {
  description = "Cluster name: the key in clusters/index.ts, the EKS cluster name and the SSM prefix /eksai/<cluster_name>/."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.cluster_name))
    error_message = "cluster_name must be 3-32 lowercase letters, digits or dashes, starting with a letter (it names the EKS cluster and the SSM prefix)."
  }
}

variable "region" {
  description = "AWS region; must equal the region in clusters/<cluster_name>.ts."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as us-west-2."
  }
}

variable "kubernetes_version" {
  description = "Only for the first apply of a new cluster (install_platform = false), before dist/<cluster_name>/bootstrap/terraform.json exists: the kubernetesVersion of clusters/<cluster_name>.ts. Afterwards the version comes from that file (inputs.tf) and this must stay unset or equal."
  type        = string
  default     = null

  validation {
    condition     = var.kubernetes_version == null || can(regex("^1\\.[0-9]{2}$", coalesce(var.kubernetes_version, "1.35")))
    error_message = "kubernetes_version must be a minor version such as 1.35."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the cluster VPC; split into 3 private, 3 public and 3 intra subnets."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 18
    error_message = "vpc_cidr must be an IPv4 CIDR of /18 or larger, e.g. 10.0.0.0/16."
  }
}

variable "admin_principal_arns" {
  description = "IAM role/user ARNs granted cluster admin through EKS access entries."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "admin_principal_arns must be IAM role or user ARNs such as arn:aws:iam::123456789012:role/platform-admin."
  }
}

variable "endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint: where Terraform (helm, kubectl), CI and operators run, e.g. [\"203.0.113.7/32\"]. Required, no default: this same apply installs Cilium and Argo CD through the API. Nodes use the private endpoint."
  type        = list(string)

  validation {
    condition     = length(var.endpoint_public_access_cidrs) > 0 && alltrue([for cidr in var.endpoint_public_access_cidrs : can(cidrnetmask(cidr))])
    error_message = "endpoint_public_access_cidrs must list at least one IPv4 CIDR such as 203.0.113.7/32 (your laptop's or CI runner's egress address; `curl -s https://checkip.amazonaws.com`)."
  }

  validation {
    condition     = alltrue([for cidr in var.endpoint_public_access_cidrs : try(tonumber(split("/", cidr)[1]) >= 8, false)])
    error_message = "endpoint_public_access_cidrs must not open the API to the internet (0.0.0.0/0 or any prefix shorter than /8): list the operators' own CIDRs."
  }
}

variable "core_instance_types" {
  description = "Instance types of the small core node group that runs Argo CD, Karpenter and other system pods."
  type        = list(string)
  default     = ["m7i.large", "m6i.large"]

  validation {
    condition     = length(var.core_instance_types) > 0
    error_message = "core_instance_types must list at least one instance type."
  }
}

variable "core_node_count" {
  description = "Desired (and minimum) size of the core node group; at least 2 for a highly available control plane of add-ons."
  type        = number
  default     = 2

  validation {
    condition     = var.core_node_count >= 2 && var.core_node_count <= 10
    error_message = "core_node_count must be between 2 and 10: Karpenter provisions everything else."
  }
}

variable "argocd_chart_version" {
  description = "Version of the argo-cd Helm chart. 10.3.3 ships Argo CD v3.5.1, the version of the Argo CD CRDs eksai validates against; eksai's Applications need at least 3.1 (test/terraform/argocd.test.ts)."
  type        = string
  default     = "10.3.3"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.argocd_chart_version))
    error_message = "argocd_chart_version must be an exact chart version such as 10.3.3."
  }
}

variable "install_platform" {
  description = "Install Cilium, the core node group, CoreDNS, the EBS CSI driver and Argo CD. false only for the first apply of a new cluster: it creates the network, the control plane, IAM and the SSM facts `eksai lookup` reads, before `npm run synth` can write dist/<cluster_name>/bootstrap/terraform.json."
  type        = bool
  default     = true
}

variable "apply_root_app" {
  description = "Apply dist/<cluster_name>/root/ once with kubectl after Argo CD is installed (needs aws and kubectl on PATH, dist/<cluster_name>/ pushed to the branch the root Application reads, and Argo CD's Git credentials for a private repository)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) <= 128 && length(v) <= 256])
    error_message = "tags keys must be at most 128 and values at most 256 characters."
  }
}

variable "efs" {
  description = "Only for the apply that first creates the shared EFS file system (README.md, \"Shared storage (EFS)\"): true before dist/<cluster_name>/bootstrap/terraform.json says efs, since the generator needs the file system id from SSM first. Afterwards storage.efs in clusters/<cluster_name>.ts decides (inputs.tf) and this stays unset."
  type        = bool
  default     = null
}
