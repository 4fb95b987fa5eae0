# Alarms: CloudWatch metric alarms on what an operator must hear about, published to an
# SNS topic (alarm_email subscribes an address; anything else can subscribe to the
# alarms_topic output).
#
#   - the NLB's target groups (modules/layout, lb_alarms): no router or no primary
#     behind the read-write endpoint, a router down; in the classic layout also two
#     nodes answering /primary, a replica down;
#   - every instance's status checks: the system check (AWS's hardware, network,
#     power) recovers the instance (EC2's recover action: same id, address and
#     volumes, on other hardware) and says so; the instance check (the guest: kernel,
#     boot, full disk) only says so: rebooting a database node may destroy what
#     explains its failure, and the cluster has already failed over.
#
# scripts/stop.sh turns the alarms' actions off while the cluster is stopped on
# purpose, scripts/start.sh back on.

resource "aws_sns_topic" "alarms" {
  name = "${local.name}-alarms"
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "nlb" {
  for_each = module.layout.lb_alarms

  alarm_name          = "${local.name}-nlb-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/NetworkELB"
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = 60
  evaluation_periods  = 2
  treat_missing_data  = each.value.missing
  dimensions = {
    LoadBalancer = aws_lb.db.arn_suffix
    TargetGroup  = aws_lb_target_group.db[each.value.target].arn_suffix
  }
  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]
}

locals {
  # Every instance by host name: etcd1..3, pg1..N, bastion.
  instances = merge(
    { for i, m in module.layout.etcd_members : m.name => aws_instance.etcd[i].id },
    { for i, n in module.layout.db_nodes : n.name => aws_instance.db[i].id },
    { bastion = aws_instance.bastion.id },
  )
  recover_action = "arn:${data.aws_partition.current.partition}:automate:${var.region}:ec2:recover"
}

# The two status checks of every instance: what fails, how long, what is done.
locals {
  status_checks = {
    system = {
      metric      = "StatusCheckFailed_System"
      periods     = 2
      actions     = [local.recover_action, aws_sns_topic.alarms.arn]
      description = "AWS's system status check fails (hardware, network or power of its host): EC2 recovers the instance on other hardware."
    }
    instance = {
      metric      = "StatusCheckFailed_Instance"
      periods     = 3
      actions     = [aws_sns_topic.alarms.arn]
      description = "the instance status check fails (the guest: kernel, boot, file systems, network configuration). Look at its console output; see deploy/aws/docs/runbook.md."
    }
  }
  instance_checks = {
    for pair in setproduct(keys(local.instances), keys(local.status_checks)) :
    "${pair[0]}-${pair[1]}" => merge(local.status_checks[pair[1]], { host = pair[0] })
  }
}

resource "aws_cloudwatch_metric_alarm" "status_check" {
  for_each = local.instance_checks

  alarm_name          = "${local.name}-${each.key}-check"
  alarm_description   = "${each.value.host}: ${each.value.description}"
  namespace           = "AWS/EC2"
  metric_name         = each.value.metric
  statistic           = "Maximum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  period              = 60
  evaluation_periods  = each.value.periods
  # A stopped instance reports nothing: not a failure.
  treat_missing_data = "notBreaching"
  dimensions         = { InstanceId = local.instances[each.value.host] }
  alarm_actions      = each.value.actions
  ok_actions         = [aws_sns_topic.alarms.arn]
}
