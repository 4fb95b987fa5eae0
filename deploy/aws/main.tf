# pgha on AWS: 3 etcd hosts (which also run the pgha routers), 3 database nodes (pgha
# agent + PostgreSQL 15 + PgBouncer), an internal NLB for clients, and a bastion with an
# Elastic IP as the only SSH entry. By default one etcd host and one database node per
# availability zone, over three zones.
#
# Layout of the files: network.tf (VPC, subnets, NAT), security.tf (security groups),
# iam.tf (instance roles), secrets.tf (SSM SecureStrings), artifacts.tf (the packages
# in S3), backups.tf (pgBackRest's repository in S3), instances.tf (and the database
# nodes' data volumes), nlb.tf, alarms.tf (CloudWatch alarms, SNS topic), outputs.tf; modules/layout is the address plan, the
# rules and the zones as data, modules/userdata renders the boot scripts.

data "aws_availability_zones" "available" {
  state = "available"
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) >= var.az_count
      error_message = "Region ${var.region} has ${length(self.names)} available zone(s) (${join(", ", self.names)}); az_count = ${var.az_count} needs that many, one etcd member and one database node in each. Choose a region with three zones, or az_count = 1."
    }
  }
}

# Which zones offer the instance types the stack uses: modules/layout keeps the zones
# that offer them all, and refuses a region with fewer than az_count of those.
data "aws_ec2_instance_type_offerings" "zones" {
  location_type = "availability-zone"
  filter {
    name   = "instance-type"
    values = local.instance_types
  }
}

# The official Debian 12 AMIs are published by Debian's AWS account.
data "aws_ami" "debian" {
  count       = var.ami_id == "" ? 1 : 0
  most_recent = true
  owners      = ["136693071363"]
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

module "layout" {
  source = "./modules/layout"

  vpc_cidr        = var.vpc_cidr
  az_count        = var.az_count
  db_node_count   = var.db_node_count
  client_routing  = var.client_routing
  admin_cidrs     = var.admin_cidrs
  client_cidrs    = var.client_cidrs
  available_zones = data.aws_availability_zones.available.names
  instance_types  = local.instance_types
  zone_instance_types = {
    for z in data.aws_availability_zones.available.names : z => [
      for i, loc in data.aws_ec2_instance_type_offerings.zones.locations :
      data.aws_ec2_instance_type_offerings.zones.instance_types[i] if loc == z
    ]
  }
}

locals {
  name           = var.cluster_name
  instance_types = distinct([var.etcd_instance_type, var.db_instance_type, var.bastion_instance_type])
  azs            = module.layout.zones
  ami_id         = var.ami_id != "" ? var.ami_id : data.aws_ami.debian[0].id
  ports          = module.layout.ports
  ssm_prefix     = "/pgha/${var.cluster_name}"
  secrets = ["superuser-password", "replication-password", "rewind-password", "restapi-password",
  "etcd-root-password", "etcd-password"]
  # The cluster's CA: made by scripts/create-ca.sh, outside Terraform, so that its key
  # is in no plan, state or output; hosts read it from SSM at boot (modules/userdata).
  ca_parameters = ["ca-key", "ca-cert"]
}

module "userdata" {
  source = "./modules/userdata"

  cluster_name       = var.cluster_name
  region             = var.region
  package_s3_uris    = { for k, o in aws_s3_object.package : k => "s3://${aws_s3_bucket.artifacts.bucket}/${o.key}" }
  db_data_volume_ids = aws_ebs_volume.data[*].id
  ssm_prefix         = local.ssm_prefix
  vpc_cidr           = var.vpc_cidr
  etcd_members       = [for m in module.layout.etcd_members : { name = m.name, ip = m.ip }]
  db_nodes           = [for n in module.layout.db_nodes : { name = n.name, ip = n.ip }]
  synchronous_mode   = var.synchronous_mode
  pg_shared_buffers  = var.pg_shared_buffers
  pg_max_connections = var.pg_max_connections
  router_ports       = { rw = local.ports.rw, ro = local.ports.ro, http = local.ports.router }
  # PgBouncer's certificates name what clients connect to (sslmode=verify-full).
  client_names = concat([aws_lb.db.dns_name], var.client_dns_names)
  backup = {
    bucket         = aws_s3_bucket.backups.bucket
    full_every     = var.backup_full_every
    diff_every     = var.backup_diff_every
    retention_full = var.backup_retention_full
  }
}
