# The S3 bucket that publishes the pgha Debian packages (built here by `make deb`) to the
# instances, which fetch them at boot through the VPC's S3 gateway endpoint: pgha on
# every host, pgha-agent on the database nodes, pgha-router on the etcd hosts.

resource "aws_s3_bucket" "artifacts" {
  bucket_prefix = "${local.name}-artifacts-"
  # Only a build artefact lives here: destroying the stack may empty the bucket.
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# File names, paths and hashes (modules/packages): a missing package stops apply with
# "run make deb", and never stops destroy.
module "packages" {
  source = "./modules/packages"

  package_dir  = var.package_dir
  pgha_version = var.pgha_version
}

resource "aws_s3_object" "package" {
  for_each = module.packages.packages

  bucket      = aws_s3_bucket.artifacts.id
  key         = each.value.key
  source      = each.value.path
  source_hash = each.value.md5
}
