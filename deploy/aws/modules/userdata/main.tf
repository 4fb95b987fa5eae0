# userdata: renders the first-boot scripts (cloud-init user data) of every instance
# of a pgha cluster, and the configuration files they install.
#
# Pure: no provider, no resource, only templatefile(). That is what lets
# scripts/check-deploy.sh render every template with sample values, without AWS, and
# check the scripts (bash -n, shellcheck) and the agent configs (pgha agent --check).
# Files are embedded in the scripts base64-encoded, so no YAML can break shell quoting.

locals {
  etcd_hosts   = [for m in var.etcd_members : "${m.ip}:2379"]
  etcd_initial = join(",", [for m in var.etcd_members : "${m.name}=https://${m.ip}:2380"])
  # What clients connect to on the way to a node's PgBouncer (sslmode=verify-full checks
  # that name): the routers (on the etcd hosts) and the NLB or other names.
  client_sans = join("", concat([for m in var.etcd_members : ",IP:${m.ip}"], [for n in var.client_names : ",DNS:${n}"]))

  common = templatefile("${path.module}/templates/common.sh.tftpl", {
    region     = var.region
    packages   = var.package_s3_uris
    ssm_prefix = var.ssm_prefix
  })

  agent_yaml = [for n in var.db_nodes : templatefile("${path.module}/templates/agent.yml.tftpl", {
    cluster_name     = var.cluster_name
    name             = n.name
    ip               = n.ip
    etcd_hosts       = local.etcd_hosts
    vpc_cidr         = var.vpc_cidr
    synchronous_mode = var.synchronous_mode
    shared_buffers   = var.pg_shared_buffers
    max_connections  = var.pg_max_connections
    region           = var.region
    backup           = var.backup
  })]

  cluster_yaml = templatefile("${path.module}/templates/cluster.yml.tftpl", {
    cluster_name = var.cluster_name
    etcd_hosts   = local.etcd_hosts
  })

  router_yaml = templatefile("${path.module}/templates/router.yml.tftpl", {
    cluster_name = var.cluster_name
    etcd_hosts   = local.etcd_hosts
    ports        = var.router_ports
  })

  etcd_env = [for m in var.etcd_members : templatefile("${path.module}/templates/etcd.env.tftpl", {
    cluster_name = var.cluster_name
    name         = m.name
    ip           = m.ip
    initial      = local.etcd_initial
  })]

  etcd_user_data = [for i, m in var.etcd_members : templatefile("${path.module}/templates/etcd.sh.tftpl", {
    common         = local.common
    name           = m.name
    ip             = m.ip
    ssm_prefix     = var.ssm_prefix
    etcd_env_b64   = base64encode(local.etcd_env[i])
    etcd_drop_in   = base64encode(file("${path.module}/../../../etcd/etcd-override.conf"))
    router_yml_b64 = base64encode(local.router_yaml)
  })]

  db_user_data = [for i, n in var.db_nodes : templatefile("${path.module}/templates/db.sh.tftpl", {
    common         = local.common
    name           = n.name
    ip             = n.ip
    client_sans    = local.client_sans
    ssm_prefix     = var.ssm_prefix
    data_volume_id = var.db_data_volume_ids[i]
    agent_yml_b64  = base64encode(local.agent_yaml[i])
  })]

  bastion_user_data = templatefile("${path.module}/templates/bastion.sh.tftpl", {
    common          = local.common
    cluster_name    = var.cluster_name
    ssm_prefix      = var.ssm_prefix
    cluster_yml_b64 = base64encode(local.cluster_yaml)
    db_nodes        = var.db_nodes
  })
}
