output "cluster_name" {
  description = "EKS cluster name."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "API server endpoint (also SSM /eksai/<cluster>/cluster/endpoint)."
  value       = module.eks.cluster_endpoint
}

output "vpc_id" {
  description = "VPC id (also SSM /eksai/<cluster>/network/vpc-id)."
  value       = module.vpc.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets, tagged karpenter.sh/discovery=<cluster>."
  value       = module.vpc.private_subnets
}

output "karpenter_node_role_name" {
  description = "IAM role of Karpenter nodes (also SSM /eksai/<cluster>/karpenter/node-role-name)."
  value       = module.karpenter.node_iam_role_name
}

output "karpenter_controller_role_arn" {
  description = "IAM role of the Karpenter controller, bound to kube-system/karpenter by Pod Identity."
  value       = module.karpenter.iam_role_arn
}

output "interruption_queue_name" {
  description = "SQS interruption queue (also SSM /eksai/<cluster>/karpenter/interruption-queue-name)."
  value       = aws_sqs_queue.interruption.name
}

output "ssm_parameter_names" {
  description = "SSM parameters `eksai lookup` reads."
  value       = sort([for p in aws_ssm_parameter.facts : p.name])
}

output "cilium_operator_role_arn" {
  description = "IAM role of the Cilium operator (ENI IPAM), bound to kube-system/cilium-operator by Pod Identity."
  value       = aws_iam_role.cilium_operator.arn
}

output "next_steps" {
  description = "What to run after apply."
  value = var.install_platform ? (
    var.apply_root_app ? "Argo CD syncs dist/${var.cluster_name}/ now: kubectl -n argocd get applications" : "push dist/${var.cluster_name}/, create the Argo CD repository Secret if the repository is private, then terraform apply -var apply_root_app=true (README.md, Bootstrap order)"
  ) : "eksai lookup --cluster ${var.cluster_name} && npm run synth && git add clusters/${var.cluster_name}.lookups.json dist/${var.cluster_name} && git commit; then terraform apply (install_platform defaults to true)"
}

output "team_s3_role_arns" {
  description = "IAM role of each team with S3 access (terraform/bootstrap/s3.tf), by team name."
  value       = { for team, role in aws_iam_role.team_s3 : team => role.arn }
}

output "efs_file_system_id" {
  description = "Shared EFS file system (also SSM /eksai/<cluster>/storage/efs-file-system-id); null without storage.efs."
  value       = one(aws_efs_file_system.shared[*].id)
}
