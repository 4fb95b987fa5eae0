# The backup repository: one S3 bucket per stack, pgBackRest's repository (WAL archive
# and backups under /<cluster_name>), written by the database nodes only.
#
#   - versioned: an object pgBackRest's expire deletes (or anything overwrites) stays
#     as a noncurrent version for backup_noncurrent_days, then the lifecycle rule
#     removes it; nothing removes a current object but pgBackRest's own retention
#     (backup_retention_full, in the cluster's configuration);
#   - encrypted at rest (SSE-S3, with S3 bucket keys) and reachable over TLS only;
#   - public access blocked, ACLs disabled;
#   - objects readable and writable by the database nodes' instance role alone: the
#     bucket policy denies every other principal, the account's administrators
#     included (they keep the right to change the policy itself);
#   - prevent_destroy: `terraform destroy` stops rather than delete it. destroy.sh
#     leaves it in place (it forgets it from the state) unless given --delete-backups.

resource "aws_s3_bucket" "backups" {
  bucket_prefix = "${local.name}-backups-"

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "backups" {
  bucket = aws_s3_bucket.backups.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "backups" {
  bucket                  = aws_s3_bucket.backups.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "backups" {
  bucket = aws_s3_bucket.backups.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

# Retention is pgBackRest's (it expires backups and the WAL they no longer need); the
# bucket only cleans up after it: deleted versions after backup_noncurrent_days, and
# the parts of uploads that never completed.
resource "aws_s3_bucket_lifecycle_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    id     = "expired-by-pgbackrest"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.backup_noncurrent_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }

  depends_on = [aws_s3_bucket_versioning.backups]
}

data "aws_iam_policy_document" "backups" {
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.backups.arn, "${aws_s3_bucket.backups.arn}/*"]
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

  statement {
    sid       = "DatabaseNodesOnly"
    effect    = "Deny"
    actions   = local.backup_object_actions
    resources = [aws_s3_bucket.backups.arn, "${aws_s3_bucket.backups.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.node["db"].arn]
    }
  }
}

resource "aws_s3_bucket_policy" "backups" {
  bucket = aws_s3_bucket.backups.id
  policy = data.aws_iam_policy_document.backups.json

  depends_on = [aws_s3_bucket_public_access_block.backups]
}

locals {
  # What pgBackRest does in its repository: list, read, write, delete objects.
  backup_object_actions = [
    "s3:ListBucket", "s3:ListBucketVersions", "s3:GetObject", "s3:GetObjectVersion",
    "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
  ]
}
