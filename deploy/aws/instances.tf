# The instances: 3 etcd hosts (etcd + pgha router), the database nodes (pgha agent +
# PostgreSQL + PgBouncer, data on a volume of their own) and the bastion. Each boots
# Debian 12 and runs its first-boot script (modules/userdata): Debian's packages, pgha's
# from the stack's S3 bucket, its configuration, then its systemd units.
#
# Recovery: every instance has EC2's automatic recovery (maintenance_options), and a
# CloudWatch alarm on its system status check with the recover action (alarms.tf): a
# host whose hardware fails comes back on other hardware with the same id, address,
# volumes and configuration, without the boot script running again. The cluster has
# failed over long before; the recovered node rejoins as a replica.
#
# user_data and the AMI are ignored after creation: a new package version or a newer
# AMI must never replace a database node behind the cluster's back. Upgrade in place,
# one node at a time (README: "Upgrading pgha").

resource "aws_key_pair" "admin" {
  key_name_prefix = "${local.name}-"
  public_key      = trimspace(var.ssh_public_key)
}

resource "aws_instance" "etcd" {
  count = 3

  ami                    = local.ami_id
  instance_type          = var.etcd_instance_type
  subnet_id              = aws_subnet.private[module.layout.etcd_members[count.index].zone].id
  private_ip             = module.layout.etcd_members[count.index].ip
  vpc_security_group_ids = [aws_security_group.etcd.id]
  iam_instance_profile   = aws_iam_instance_profile.node["etcd"].name
  key_name               = aws_key_pair.admin.key_name
  user_data              = module.userdata.etcd_user_data[count.index]

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  maintenance_options {
    auto_recovery = "default"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = var.etcd_volume_gb
    encrypted   = true
  }

  tags = {
    Name = "${local.name}-${module.layout.etcd_members[count.index].name}"
    Role = "etcd"
  }

  lifecycle {
    ignore_changes = [ami, user_data]
  }

  # The first boot installs packages: the way out (NAT) and to S3 must exist first.
  depends_on = [aws_route_table_association.private, aws_nat_gateway.this, aws_vpc_endpoint.s3]
}

resource "aws_instance" "db" {
  count = var.db_node_count

  ami                    = local.ami_id
  instance_type          = var.db_instance_type
  subnet_id              = aws_subnet.private[module.layout.db_nodes[count.index].zone].id
  private_ip             = module.layout.db_nodes[count.index].ip
  vpc_security_group_ids = [aws_security_group.db.id]
  iam_instance_profile   = aws_iam_instance_profile.node["db"].name
  key_name               = aws_key_pair.admin.key_name
  user_data              = module.userdata.db_user_data[count.index]

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  maintenance_options {
    auto_recovery = "default"
  }

  # The system only: PostgreSQL's data is on aws_ebs_volume.data below.
  root_block_device {
    volume_type = "gp3"
    volume_size = var.db_root_volume_gb
    encrypted   = true
  }

  tags = {
    Name = "${local.name}-${module.layout.db_nodes[count.index].name}"
    Role = "db"
  }

  lifecycle {
    ignore_changes = [ami, user_data]
  }

  # The passwords must be in SSM before the first boot reads them.
  depends_on = [
    aws_route_table_association.private, aws_nat_gateway.this, aws_vpc_endpoint.s3,
    aws_ssm_parameter.secret, aws_iam_role_policy.node,
  ]
}

# PostgreSQL's data directory and WAL, one encrypted gp3 volume per database node, in
# its node's zone. A volume outlives its instance: replacing a node's instance (after a
# hardware loss, or `scripts/replace-db.sh`) attaches the same volume to the new one,
# whose boot script mounts it without formatting it, and the node rejoins with its data.
resource "aws_ebs_volume" "data" {
  count = var.db_node_count

  availability_zone = local.azs[module.layout.db_nodes[count.index].zone]
  type              = "gp3"
  size              = var.db_volume_gb
  iops              = var.db_volume_iops
  throughput        = var.db_volume_throughput
  encrypted         = true
  final_snapshot    = var.db_volume_final_snapshot

  tags = {
    Name = "${local.name}-${module.layout.db_nodes[count.index].name}-data"
    Role = "db-data"
  }
}

resource "aws_volume_attachment" "data" {
  count = var.db_node_count

  # The boot script finds the volume by its id (NVMe serial), not by this name.
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data[count.index].id
  instance_id = aws_instance.db[count.index].id
  # Detaching from a running node would pull the disk from under PostgreSQL: stop the
  # instance first (the agent hands over and shuts PostgreSQL down cleanly).
  stop_instance_before_detaching = true
}

resource "aws_instance" "bastion" {
  ami                    = local.ami_id
  instance_type          = var.bastion_instance_type
  subnet_id              = aws_subnet.public[0].id
  vpc_security_group_ids = [aws_security_group.bastion.id]
  iam_instance_profile   = aws_iam_instance_profile.node["bastion"].name
  key_name               = aws_key_pair.admin.key_name
  user_data              = module.userdata.bastion_user_data
  # A public address from the start, so that the first boot reaches Debian's mirrors;
  # the Elastic IP below replaces it and stays the same across stop/start.
  associate_public_ip_address = true

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  maintenance_options {
    auto_recovery = "default"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 10
    encrypted   = true
  }

  tags = {
    Name = "${local.name}-bastion"
    Role = "bastion"
  }

  lifecycle {
    ignore_changes = [ami, user_data]
  }

  depends_on = [aws_route_table_association.public, aws_ssm_parameter.secret]
}

resource "aws_eip" "bastion" {
  domain   = "vpc"
  instance = aws_instance.bastion.id
  tags     = { Name = "${local.name}-bastion" }
}
