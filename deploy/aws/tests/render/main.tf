# A provider-free root that renders every user-data template with sample values, for
# scripts/check-deploy.sh: no AWS account, no provider download, no network. It calls
# the same module as the real stack (../../modules/userdata), with a 3-AZ layout.

module "userdata" {
  source = "../../modules/userdata"

  cluster_name = "sample"
  region       = "us-east-1"
  package_s3_uris = {
    pgha   = "s3://sample-pgha-artifacts-123456789012/packages/pgha_0.1.0_amd64.deb"
    agent  = "s3://sample-pgha-artifacts-123456789012/packages/pgha-agent_0.1.0_all.deb"
    router = "s3://sample-pgha-artifacts-123456789012/packages/pgha-router_0.1.0_all.deb"
  }
  db_data_volume_ids = ["vol-0a1b2c3d4e5f60001", "vol-0a1b2c3d4e5f60002", "vol-0a1b2c3d4e5f60003"]
  ssm_prefix         = "/pgha/sample"
  vpc_cidr           = "10.42.0.0/16"
  backup             = { bucket = "sample-pgha-backups-20261208" }
  etcd_members = [
    { name = "etcd1", ip = "10.42.10.10" },
    { name = "etcd2", ip = "10.42.11.11" },
    { name = "etcd3", ip = "10.42.12.12" },
  ]
  db_nodes = [
    { name = "pg1", ip = "10.42.10.20" },
    { name = "pg2", ip = "10.42.11.21" },
    { name = "pg3", ip = "10.42.12.22" },
  ]
}

locals {
  rendered = merge(
    { for i, s in module.userdata.etcd_user_data : "etcd${i + 1}.sh" => s },
    { for i, s in module.userdata.db_user_data : "pg${i + 1}.sh" => s },
    { for i, s in module.userdata.agent_yaml : "pg${i + 1}.agent.yml" => s },
    { for i, s in module.userdata.etcd_env : "etcd${i + 1}.env" => s },
    { "bastion.sh" = module.userdata.bastion_user_data },
    { "router.yml" = module.userdata.router_yaml },
    { "bastion.cluster.agent.yml" = module.userdata.cluster_yaml },
  )
}

output "rendered" {
  description = "Every rendered document, by file name."
  value       = local.rendered
}
