# Endpoints and names only: no output carries a secret (the passwords are in SSM and
# nowhere in Terraform's state). scripts/check-deploy.sh checks that it stays so.

output "rw_endpoint" {
  description = "Read-write endpoint (host:port) for clients in the VPC."
  value       = "${aws_lb.db.dns_name}:${local.ports.rw}"
}

output "ro_endpoint" {
  description = "Read-only endpoint (host:port): the replicas, round robin."
  value       = "${aws_lb.db.dns_name}:${local.ports.ro}"
}

output "client_routing" {
  description = "router (NLB -> pgha routers) or nlb-health-checks (classic)."
  value       = var.client_routing
}

output "bastion_public_ip" {
  description = "The bastion's Elastic IP: the only SSH entry."
  value       = aws_eip.bastion.public_ip
}

output "ssh_bastion" {
  description = "SSH to the bastion (Debian's default user is admin)."
  value       = "ssh admin@${aws_eip.bastion.public_ip}"
}

output "etcd_endpoints" {
  description = "etcd client URLs."
  value       = [for m in module.layout.etcd_members : "https://${m.ip}:2379"]
}

output "router_endpoints" {
  description = "The pgha routers, for clients inside the VPC that skip the NLB (read-write port; read-only is +1)."
  value       = [for m in module.layout.etcd_members : "${m.ip}:${local.ports.rw}"]
}

output "db_nodes" {
  description = "Database nodes: name => private IP (REST API on :8008, PgBouncer on :6432)."
  value       = { for n in module.layout.db_nodes : n.name => n.ip }
}

output "ssm_parameters" {
  description = "Names (not values) of the SecureString parameters holding the cluster's passwords, and of the CA's (made by scripts/create-ca.sh)."
  value       = concat([for p in aws_ssm_parameter.secret : p.name], [for p in local.ca_parameters : "${local.ssm_prefix}/${p}"])
}

output "artifacts_bucket" {
  description = "S3 bucket holding the pgha packages the instances install."
  value       = aws_s3_bucket.artifacts.bucket
}

output "instance_ids" {
  description = "Instance ids by role, for scripts/stop.sh and start.sh."
  value = {
    etcd    = aws_instance.etcd[*].id
    db      = aws_instance.db[*].id
    bastion = [aws_instance.bastion.id]
  }
}

output "alarms_topic" {
  description = "SNS topic of the stack's CloudWatch alarms (subscribe more endpoints to it)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Every CloudWatch alarm of the stack (scripts/stop.sh and start.sh turn their actions off and on)."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.nlb : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.status_check : a.alarm_name],
  )
}

output "data_volumes" {
  description = "The database nodes' data volumes: name => EBS volume id."
  value       = { for i, n in module.layout.db_nodes : n.name => aws_ebs_volume.data[i].id }
}

output "region" {
  value = var.region
}

output "backup_bucket" {
  description = "The S3 bucket of pgBackRest's repository (path /<cluster_name>): kept by destroy.sh unless --delete-backups."
  value       = aws_s3_bucket.backups.bucket
}
