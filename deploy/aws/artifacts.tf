# The S3 bucket that publishes the pgha Debian package (built here by `make deb`) to the
# instances, which fetch it at boot through the VPC's S3 gateway endpoint.

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

resource "aws_s3_object" "deb" {
  bucket      = aws_s3_bucket.artifacts.id
  key         = "packages/${basename(var.deb_path)}"
  source      = var.deb_path
  source_hash = filemd5(var.deb_path)
}
