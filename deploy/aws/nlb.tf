# The clients' endpoints: an internal NLB, port 5432 read-write and 5433 read-only.
#
# Router layout (default): the NLB forwards to the pgha routers on the 3 etcd hosts.
# The routers follow the leader key through an etcd watch and send each new session
# to the current primary (or hold it during the few seconds of a failover); the NLB's
# health checks only watch whether a router is alive, so they add nothing to failover
# time. Classic layout: the NLB forwards to every node's PgBouncer and keeps only the
# node whose :8008/primary (or /replica) answers 200: after a failover, traffic moves
# only once the checks have seen it (healthy threshold x interval, 10 s by default).

resource "aws_lb" "db" {
  name                             = "${local.name}-db"
  internal                         = true
  load_balancer_type               = "network"
  subnets                          = aws_subnet.private[*].id
  security_groups                  = [aws_security_group.nlb.id]
  enable_cross_zone_load_balancing = true
}

resource "aws_lb_target_group" "db" {
  for_each = module.layout.lb_targets

  # The port is in the name: switching client_routing creates the new group before the
  # listener lets go of the old one (create_before_destroy needs distinct names).
  name        = "${local.name}-${each.key}-${each.value.port}"
  port        = each.value.port
  protocol    = "TCP"
  vpc_id      = aws_vpc.this.id
  target_type = "instance"
  # Targets see the NLB's address, so their security groups can admit the NLB's group.
  preserve_client_ip     = false
  deregistration_delay   = 10
  connection_termination = true

  health_check {
    # The REST API serves https only; the NLB's HTTPS checks do not verify certificates.
    protocol            = each.value.check_path == "" ? "TCP" : "HTTPS"
    port                = tostring(each.value.check_port)
    path                = each.value.check_path == "" ? null : each.value.check_path
    matcher             = each.value.check_path == "" ? null : "200"
    interval            = var.nlb_health_check_interval_s
    timeout             = max(2, min(10, var.nlb_health_check_interval_s - 2))
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  lb_instances = {
    etcd = aws_instance.etcd[*].id
    db   = aws_instance.db[*].id
  }
  lb_attachments = merge([
    for tg, t in module.layout.lb_targets : {
      for i in range(t.role == "etcd" ? 3 : var.db_node_count) : "${tg}-${i}" => {
        tg       = tg
        instance = local.lb_instances[t.role][i]
        port     = t.port
      }
    }
  ]...)
}

resource "aws_lb_target_group_attachment" "db" {
  for_each = local.lb_attachments

  target_group_arn = aws_lb_target_group.db[each.value.tg].arn
  target_id        = each.value.instance
  port             = each.value.port
}

resource "aws_lb_listener" "db" {
  for_each = module.layout.lb_listeners

  load_balancer_arn = aws_lb.db.arn
  port              = each.value
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.db[each.key].arn
  }
}
