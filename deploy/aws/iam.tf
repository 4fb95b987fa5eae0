# Instance roles, one per kind of host, each with only what its boot script and its
# daemons use: the packages in S3 for all; the cluster's passwords in SSM and the backup
# repository (backups.tf) for the database nodes; the passwords an operator needs
# (superuser, REST API, etcd's pgha user) for the bastion; etcd's two users' passwords for
# the etcd hosts (etcd + routers), which set up etcd's authentication. The CA's key (to
# sign their own certificate at boot) for the etcd hosts and database nodes; its
# certificate for every host.
#
# No Session Manager: Debian 12 has no package of the SSM agent, and installing one
# from outside Debian on every host at boot is a supply-chain risk for a convenience
# the bastion already gives (SSH, from admin_cidrs only). See README, "Security".

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  ssm_arn_prefix = "arn:${data.aws_partition.current.partition}:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter${local.ssm_prefix}"
  role_secrets = {
    etcd    = ["etcd-root-password", "etcd-password", "ca-key", "ca-cert"]
    db      = concat([for s in local.secrets : s if s != "etcd-root-password"], ["ca-key", "ca-cert"])
    bastion = ["superuser-password", "restapi-password", "etcd-password", "ca-cert"]
  }
  # The packages each kind of host installs (modules/userdata).
  role_packages = {
    etcd    = ["pgha", "router"]
    db      = ["pgha", "agent"]
    bastion = ["pgha"]
  }
}

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "role" {
  for_each = local.role_secrets

  statement {
    sid       = "ReadPghaPackages"
    actions   = ["s3:GetObject"]
    resources = [for p in local.role_packages[each.key] : "${aws_s3_bucket.artifacts.arn}/${aws_s3_object.package[p].key}"]
  }

  # pgBackRest's repository (backups.tf): the database nodes alone.
  dynamic "statement" {
    for_each = each.key == "db" ? [1] : []
    content {
      sid       = "BackupRepository"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = [aws_s3_bucket.backups.arn]
    }
  }

  dynamic "statement" {
    for_each = each.key == "db" ? [1] : []
    content {
      sid       = "BackupObjects"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${aws_s3_bucket.backups.arn}/*"]
    }
  }

  dynamic "statement" {
    for_each = length(each.value) > 0 ? [1] : []
    content {
      sid       = "ReadClusterSecrets"
      actions   = ["ssm:GetParameter"]
      resources = [for s in each.value : "${local.ssm_arn_prefix}/${s}"]
    }
  }

  # SecureStrings use the AWS-managed key aws/ssm; decrypting is allowed only through SSM.
  dynamic "statement" {
    for_each = length(each.value) > 0 ? [1] : []
    content {
      sid       = "DecryptThroughSsmOnly"
      actions   = ["kms:Decrypt"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${var.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "node" {
  for_each = local.role_secrets

  name_prefix        = "${local.name}-${each.key}-"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
}

resource "aws_iam_role_policy" "node" {
  for_each = local.role_secrets

  name   = "pgha-${each.key}"
  role   = aws_iam_role.node[each.key].id
  policy = data.aws_iam_policy_document.role[each.key].json
}

resource "aws_iam_instance_profile" "node" {
  for_each = local.role_secrets

  name_prefix = "${local.name}-${each.key}-"
  role        = aws_iam_role.node[each.key].name
}
