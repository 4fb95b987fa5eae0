output "zones" {
  description = "The availability zones the cluster uses, az_count of them."
  value       = local.zones
  precondition {
    condition     = length(local.usable_zones) >= var.az_count
    error_message = "The region has ${length(local.usable_zones)} usable availability zone(s) (available, and offering ${join(", ", distinct(var.instance_types))}): ${jsonencode(local.usable_zones)}. The stack needs az_count = ${var.az_count}: choose another region or instance types, or set az_count = 1."
  }
}

output "public_cidrs" {
  value = local.public_cidrs
}

output "private_cidrs" {
  value = local.private_cidrs
}

output "etcd_members" {
  description = "name, ip, zone (index into the zones) of each etcd host."
  value       = local.etcd_members
}

output "db_nodes" {
  description = "name, ip, zone of each database node."
  value       = local.db_nodes
}

output "ports" {
  value = local.ports
}

output "group_rules" {
  description = "Ingress rules between security groups: [to, port, from, description]."
  value       = local.group_rules
}

output "cidr_rules" {
  description = "Ingress rules from address blocks: [to, port, cidr, description]."
  value       = local.cidr_rules
}

output "lb_targets" {
  description = "NLB target groups: the role of their instances, traffic port, health check."
  value       = local.lb_targets
}

output "lb_listeners" {
  value = local.lb_listeners
}

output "lb_alarms" {
  description = "CloudWatch alarms on the NLB's target groups: name => target group, metric, threshold."
  value       = local.lb_alarms
}
