# Per-team S3 access through EKS Pod Identity, read from the `teams` section of the file `eksai synth`
# writes (inputs.tf; pipeline/synth/team-s3.ts builds it from teams[].s3 of clusters/<cluster>.ts):
# per team an IAM role trusted by pods.eks.amazonaws.com, its least-privilege policy (written by the
# generator: only the team's buckets and prefixes, KMS only on its keys), one Pod Identity association
# per (namespace, ServiceAccount) that runs as the team, and the buckets eksai creates (SSE-KMS,
# versioning, public access blocked, HTTPS only, lifecycle). test/terraform/s3.test.ts checks both sides.

locals {
  # Team name => { service_accounts, policy, buckets }; empty before the first synth.
  team_s3 = try(local.generated.teams, {})

  # "<team>/<namespace>/<service account>" => the association's inputs.
  team_s3_associations = merge([
    for team, t in local.team_s3 : {
      for sa in t.service_accounts : "${team}/${sa.namespace}/${sa.name}" => { team = team, namespace = sa.namespace, service_account = sa.name }
    }
  ]...)

  # Bucket name => bucket, for the buckets eksai creates (lib/config/s3.ts: one creating team per bucket).
  team_s3_buckets = merge([
    for team, t in local.team_s3 : {
      for b in t.buckets : b.name => merge(b, { team = team }) if b.create
    }
  ]...)
}

resource "aws_iam_role" "team_s3" {
  for_each = local.team_s3

  name               = "${var.cluster_name}-team-${each.key}"
  description        = "Team ${each.key} of ${var.cluster_name}: S3 access (bound by Pod Identity to its ServiceAccounts)"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

resource "aws_iam_role_policy" "team_s3" {
  for_each = local.team_s3

  name   = "team-s3"
  role   = aws_iam_role.team_s3[each.key].id
  policy = jsonencode(each.value.policy)
}

# EKS injects credentials when a pod is created: a pod started before its association exists runs
# without AWS credentials until it restarts.
resource "aws_eks_pod_identity_association" "team_s3" {
  for_each = local.team_s3_associations

  cluster_name    = module.eks.cluster_name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = aws_iam_role.team_s3[each.value.team].arn
}

resource "aws_s3_bucket" "team" {
  for_each = local.team_s3_buckets

  bucket = each.key
  tags   = { "eksai.io/team" = each.value.team }
}

resource "aws_s3_bucket_public_access_block" "team" {
  for_each = local.team_s3_buckets

  bucket                  = aws_s3_bucket.team[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# HTTPS only: S3 accepts plain HTTP unless a bucket policy denies it (aws:SecureTransport is "false" on an
# HTTP request; CIS AWS Foundations 2.1.1, terraform-aws-modules/s3-bucket's deny_insecure_transport). A
# deny-only policy grants nothing, so block_public_policy admits it. After the public access block, as that
# module chains them: two writes to one bucket at once fail with "A conflicting conditional operation is
# currently in progress" (terraform-provider-aws#7628).
data "aws_iam_policy_document" "team_bucket_tls" {
  for_each = local.team_s3_buckets

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.team[each.key].arn,
      "${aws_s3_bucket.team[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "team" {
  for_each = local.team_s3_buckets

  bucket = aws_s3_bucket.team[each.key].id
  policy = data.aws_iam_policy_document.team_bucket_tls[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.team]
}

resource "aws_s3_bucket_versioning" "team" {
  for_each = local.team_s3_buckets

  bucket = aws_s3_bucket.team[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

# SSE-KMS with the team's key, or the AWS-managed aws/s3 key when none is given (kms_master_key_id
# null); bucket keys cut the KMS requests (and their cost) per object.
resource "aws_s3_bucket_server_side_encryption_configuration" "team" {
  for_each = local.team_s3_buckets

  bucket = aws_s3_bucket.team[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = each.value.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "team" {
  for_each = local.team_s3_buckets

  bucket = aws_s3_bucket.team[each.key].id

  rule {
    id     = "eksai"
    status = "Enabled"

    filter {}

    transition {
      days          = each.value.lifecycle.infrequent_access_days
      storage_class = "STANDARD_IA"
    }

    dynamic "expiration" {
      for_each = each.value.lifecycle.expiration_days == null ? [] : [each.value.lifecycle.expiration_days]
      content {
        days = expiration.value
      }
    }

    # Versioned buckets keep what is overwritten or deleted (and what expiration turns into a noncurrent
    # version) as noncurrent versions: restorable this long, then deleted for good.
    noncurrent_version_expiration {
      noncurrent_days = each.value.lifecycle.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = each.value.lifecycle.abort_incomplete_multipart_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.team]
}
