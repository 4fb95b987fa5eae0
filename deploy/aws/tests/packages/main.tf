# A provider-free root that uses modules/packages as the stack does (artifacts.tf),
# with terraform_data in place of the S3 upload, for scripts/check-deploy.sh: apply it
# with the packages present, delete them, then `terraform plan` must stop with "make
# deb" and `terraform destroy` must work (it failed when artifacts.tf called filemd5
# on the missing .deb). Runs offline: terraform_data is built into Terraform.

variable "package_dir" {
  type = string
}

module "packages" {
  source = "../../modules/packages"

  package_dir  = var.package_dir
  pgha_version = "0.1.0"
}

# What aws_s3_object.package does with each package: key, file and hash.
resource "terraform_data" "upload" {
  for_each = module.packages.packages

  input = { key = each.value.key, source = each.value.path, source_hash = each.value.md5 }
}
