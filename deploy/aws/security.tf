# Security groups, least privilege: each port is open only to the groups that need it.
# The rules themselves are data in modules/layout (checked by scripts/check-deploy.sh).
#
#   port  on        from                      why
#   22    bastion   admin_cidrs               the only SSH entry
#   22    etcd, db  bastion                   administration through the bastion
#   2379  etcd      db, etcd, bastion         etcd clients: agents, routers, pgha CLI
#   2380  etcd      etcd                      etcd peers
#   5432  db        db, bastion               replication, pg_rewind, admin psql
#   6432  db        etcd (routers), bastion   PgBouncer; also the NLB in the classic layout
#   8008  db        db, etcd, bastion         REST API: peers, router checks, pgha CLI;
#                                             also the NLB's checks in the classic layout
#   5432  etcd      nlb, bastion, clients     router, read-write   (router layout)
#   5433  etcd      nlb, bastion, clients     router, read-only    (router layout)
#   8010  etcd      nlb, bastion              router /health, /metrics
#   5432  nlb       client_cidrs              read-write endpoint
#   5433  nlb       client_cidrs              read-only endpoint
#
# Egress: anything inside the VPC, and HTTP/HTTPS out (Debian mirrors, S3, SSM).

resource "aws_security_group" "bastion" {
  name        = "${local.name}-bastion"
  description = "pgha bastion: SSH from the administrators"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${local.name}-bastion" }
}

resource "aws_security_group" "etcd" {
  name        = "${local.name}-etcd"
  description = "pgha etcd members and routers"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${local.name}-etcd" }
}

resource "aws_security_group" "db" {
  name        = "${local.name}-db"
  description = "pgha database nodes: PostgreSQL, PgBouncer, REST API"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${local.name}-db" }
}

resource "aws_security_group" "nlb" {
  name        = "${local.name}-nlb"
  description = "pgha internal NLB: database endpoints for clients"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${local.name}-nlb" }
}

locals {
  sg_ids = {
    bastion = aws_security_group.bastion.id
    etcd    = aws_security_group.etcd.id
    db      = aws_security_group.db.id
    nlb     = aws_security_group.nlb.id
  }
}

resource "aws_vpc_security_group_ingress_rule" "group" {
  for_each = { for r in module.layout.group_rules : "${r[0]}-${r[1]}-${r[2]}" => r }

  security_group_id            = local.sg_ids[each.value[0]]
  ip_protocol                  = "tcp"
  from_port                    = each.value[1]
  to_port                      = each.value[1]
  referenced_security_group_id = local.sg_ids[each.value[2]]
  description                  = each.value[3]
}

resource "aws_vpc_security_group_ingress_rule" "cidr" {
  for_each = { for r in module.layout.cidr_rules : "${r[0]}-${r[1]}-${r[2]}" => r }

  security_group_id = local.sg_ids[each.value[0]]
  ip_protocol       = "tcp"
  from_port         = each.value[1]
  to_port           = each.value[1]
  cidr_ipv4         = each.value[2]
  description       = each.value[3]
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  for_each = local.sg_ids

  security_group_id = each.value
  ip_protocol       = "-1"
  cidr_ipv4         = var.vpc_cidr
  description       = "anything inside the VPC"
}

# Instances (not the NLB) fetch packages (HTTP: Debian mirrors) and call AWS APIs (HTTPS).
resource "aws_vpc_security_group_egress_rule" "web" {
  for_each = {
    for pair in setproduct(["bastion", "etcd", "db"], [80, 443]) : "${pair[0]}-${pair[1]}" => pair
  }

  security_group_id = local.sg_ids[each.value[0]]
  ip_protocol       = "tcp"
  from_port         = each.value[1]
  to_port           = each.value[1]
  cidr_ipv4         = "0.0.0.0/0"
  description       = each.value[1] == 80 ? "Debian mirrors" : "AWS APIs (S3, SSM) and HTTPS mirrors"
}
