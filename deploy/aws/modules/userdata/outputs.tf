output "etcd_user_data" {
  description = "First-boot script of each etcd (and router) host, in etcd_members order."
  value       = local.etcd_user_data
}

output "db_user_data" {
  description = "First-boot script of each database node, in db_nodes order."
  value       = local.db_user_data
}

output "bastion_user_data" {
  description = "First-boot script of the bastion."
  value       = local.bastion_user_data
}

output "agent_yaml" {
  description = "The agent configuration each database node gets (for checks)."
  value       = local.agent_yaml
}

output "router_yaml" {
  description = "The router configuration the etcd hosts get (for checks)."
  value       = local.router_yaml
}

output "etcd_env" {
  description = "The /etc/default/etcd each etcd host gets (for checks)."
  value       = local.etcd_env
}

output "cluster_yaml" {
  description = "The bastion's /etc/pgha/cluster.yml, read by the pgha CLI (for checks)."
  value       = local.cluster_yaml
}
