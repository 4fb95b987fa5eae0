# packages: the three pgha Debian packages the hosts install (built by `make deb`), as
# data: file names, paths, S3 keys and hashes; the root uploads them (artifacts.tf).
#
# The files are needed to create or update the stack, never to destroy it: the hashes
# are null when a file is missing, and only `terraform_data.built` insists on the files,
# in a precondition, which Terraform checks when it plans to create or update it, not
# when it destroys it. So `terraform destroy` works after `make clean` or on another
# machine, and `terraform apply` without the packages stops with "run make deb".
# Built-in resources only (terraform_data): tests/ applies and destroys it offline.

locals {
  files = {
    pgha   = "pgha_${var.pgha_version}_amd64.deb"
    agent  = "pgha-agent_${var.pgha_version}_all.deb"
    router = "pgha-router_${var.pgha_version}_all.deb"
  }
  packages = { for k, f in local.files : k => {
    file = f
    path = "${var.package_dir}/${f}"
    key  = "packages/${f}"
    md5  = try(filemd5("${var.package_dir}/${f}"), null)
  } }
}

resource "terraform_data" "built" {
  for_each = local.packages

  input = each.value.file

  lifecycle {
    precondition {
      condition     = fileexists(each.value.path)
      error_message = "No ${each.value.file} in ${var.package_dir}: build the packages first (`make deb` at the top of the tree, on Debian 12 amd64, or scripts/create.sh)."
    }
  }
}
