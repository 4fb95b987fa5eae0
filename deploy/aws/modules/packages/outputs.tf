output "packages" {
  description = "pgha, agent, router => file, path, S3 key, md5 (null while the file is missing)."
  value       = local.packages
  # Uploads wait for the check that the files exist.
  depends_on = [terraform_data.built]
}
