# terraform test for modules/layout (provider-free: runs offline, in CI, through
# scripts/check-deploy.sh). Each run evaluates the plan of one cluster shape.

variables {
  vpc_cidr       = "10.42.0.0/16"
  az_count       = 3
  db_node_count  = 3
  client_routing = "router"
  admin_cidrs    = ["203.0.113.7/32"]
  client_cidrs   = []

  available_zones = ["us-east-1c", "us-east-1a", "us-east-1b", "us-east-1d"]
  instance_types  = ["t3.small", "t3.medium", "t3.micro"]
  zone_instance_types = {
    us-east-1a = ["t3.micro", "t3.small", "t3.medium"]
    us-east-1b = ["t3.micro", "t3.small", "t3.medium", "m5.large"]
    us-east-1c = ["t3.micro", "t3.small", "t3.medium"]
    us-east-1d = ["t3.micro", "t3.small", "t3.medium"]
  }
}

run "three_zones_router" {
  command = plan

  assert {
    condition     = length(distinct([for m in output.etcd_members : m.zone])) == 3
    error_message = "with 3 zones, the etcd members must be in 3 different zones"
  }
  assert {
    condition     = length(distinct([for n in output.db_nodes : n.zone])) == 3
    error_message = "with 3 zones, the database nodes must be in 3 different zones"
  }
  assert {
    condition     = length(distinct(concat([for m in output.etcd_members : m.ip], [for n in output.db_nodes : n.ip]))) == 6
    error_message = "every host needs its own address"
  }
  assert {
    condition = alltrue([for m in concat(output.etcd_members, output.db_nodes) :
    cidrsubnet("${m.ip}/24", 0, 0) == output.private_cidrs[m.zone]])
    error_message = "each host's address must lie in the private subnet of its zone"
  }
  assert {
    condition     = length(setintersection(output.public_cidrs, output.private_cidrs)) == 0
    error_message = "public and private subnets must not overlap"
  }
  assert {
    condition     = alltrue([for t in output.lb_targets : t.role == "etcd" && t.check_path == ""])
    error_message = "router layout: the NLB targets the routers and only checks that they are alive"
  }
  assert {
    condition     = output.lb_targets.rw.port == 5432 && output.lb_targets.ro.port == 5433
    error_message = "router layout: read-write on the routers' 5432, read-only on 5433"
  }
  assert {
    condition     = contains([for r in output.group_rules : "${r[0]}:${r[1]}:${r[2]}"], "etcd:5432:nlb")
    error_message = "router layout: the NLB must reach the routers"
  }
  assert {
    condition     = !contains([for r in output.group_rules : "${r[0]}:${r[2]}"], "db:nlb")
    error_message = "router layout: the NLB must not reach the database nodes"
  }
  assert {
    condition     = contains([for r in output.cidr_rules : "${r[0]}:${r[1]}:${r[2]}"], "nlb:5432:10.42.0.0/16")
    error_message = "without client_cidrs, the VPC is the only client"
  }
}

run "one_zone" {
  command = plan
  variables {
    az_count = 1
  }

  assert {
    condition     = length(output.private_cidrs) == 1 && length(output.public_cidrs) == 1
    error_message = "one zone: one public and one private subnet"
  }
  assert {
    condition     = alltrue([for m in concat(output.etcd_members, output.db_nodes) : m.zone == 0])
    error_message = "one zone: every host in zone 0"
  }
  assert {
    condition     = length(distinct(concat([for m in output.etcd_members : m.ip], [for n in output.db_nodes : n.ip]))) == 6
    error_message = "one zone: every host still needs its own address"
  }
}

run "classic_nlb_health_checks" {
  command = plan
  variables {
    client_routing = "nlb-health-checks"
    client_cidrs   = ["10.50.0.0/16"]
  }

  assert {
    condition     = output.lb_targets.rw.role == "db" && output.lb_targets.rw.check_path == "/primary" && output.lb_targets.rw.check_port == 8008
    error_message = "classic layout: read-write goes to the node whose :8008/primary answers 200"
  }
  assert {
    condition     = output.lb_targets.ro.check_path == "/replica" && output.lb_targets.ro.port == 6432
    error_message = "classic layout: read-only goes to PgBouncer of nodes whose /replica answers 200"
  }
  assert {
    condition     = contains([for r in output.group_rules : "${r[0]}:${r[1]}:${r[2]}"], "db:8008:nlb")
    error_message = "classic layout: the NLB must reach the REST API for its checks"
  }
  assert {
    condition     = !contains([for r in output.group_rules : "${r[0]}:${r[2]}"], "etcd:nlb")
    error_message = "classic layout: the NLB has no business with the etcd hosts"
  }
  assert {
    condition     = !contains([for r in output.cidr_rules : r[2]], "10.42.0.0/16")
    error_message = "explicit client_cidrs replace the VPC default"
  }
}

run "least_privilege_ports" {
  command = plan

  assert {
    condition = alltrue([for r in output.group_rules :
    contains([22, 2379, 2380, 5432, 5433, 6432, 8008, 8010], r[1])])
    error_message = "only the documented ports may be opened"
  }
  assert {
    condition     = [for r in output.cidr_rules : r[1] if r[0] == "bastion"] == [22]
    error_message = "the bastion opens SSH only, to the administrators only"
  }
  assert {
    condition     = [for r in output.group_rules : r[2] if r[0] == "etcd" && r[1] == 2380] == ["etcd"]
    error_message = "etcd peer traffic only between etcd members"
  }
  assert {
    condition     = !contains([for r in output.group_rules : "${r[0]}:${r[1]}"], "db:2379")
    error_message = "database nodes run no etcd"
  }
  assert {
    condition     = toset([for r in output.group_rules : r[2] if r[0] == "etcd" && r[1] == 2379]) == toset(["bastion", "db", "etcd"])
    error_message = "etcd's clients are the agents, the routers and the bastion's tools: never the NLB"
  }
  assert {
    condition     = length([for r in output.cidr_rules : r if contains([2379, 2380], r[1])]) == 0
    error_message = "no address block (clients, administrators) reaches etcd"
  }
}

run "zones_offer_every_instance_type" {
  command = plan
  variables {
    # us-east-1a lacks t3.medium: the database nodes could not start there.
    zone_instance_types = {
      us-east-1a = ["t3.micro", "t3.small"]
      us-east-1b = ["t3.micro", "t3.small", "t3.medium"]
      us-east-1c = ["t3.micro", "t3.small", "t3.medium"]
      us-east-1d = ["t3.micro", "t3.small", "t3.medium"]
    }
  }

  assert {
    condition     = output.zones == tolist(["us-east-1b", "us-east-1c", "us-east-1d"])
    error_message = "a zone that does not offer every instance type is not used; the others in name order"
  }
}

run "zones_in_name_order" {
  command = plan

  assert {
    condition     = output.zones == tolist(["us-east-1a", "us-east-1b", "us-east-1c"])
    error_message = "the first three usable zones by name, whatever order the region lists them in"
  }
}

run "a_two_zone_region_is_refused" {
  command = plan
  variables {
    available_zones = ["eu-north-9a", "eu-north-9b"]
    zone_instance_types = {
      eu-north-9a = ["t3.micro", "t3.small", "t3.medium"]
      eu-north-9b = ["t3.micro", "t3.small", "t3.medium"]
    }
  }
  expect_failures = [output.zones]
}

run "three_zones_but_one_lacks_a_type_is_refused" {
  command = plan
  variables {
    available_zones = ["us-west-9a", "us-west-9b", "us-west-9c"]
    zone_instance_types = {
      us-west-9a = ["t3.micro", "t3.small", "t3.medium"]
      us-west-9b = ["t3.micro", "t3.small", "t3.medium"]
      us-west-9c = ["t3.micro", "t3.small"]
    }
  }
  expect_failures = [output.zones]
}

run "one_zone_needs_one_usable_zone" {
  command = plan
  variables {
    az_count        = 1
    available_zones = ["us-west-9a"]
    zone_instance_types = {
      us-west-9a = ["t3.micro", "t3.small", "t3.medium"]
    }
  }

  assert {
    condition     = output.zones == tolist(["us-west-9a"])
    error_message = "az_count = 1 works in a region with one usable zone"
  }
}

run "alarms_router_layout" {
  command = plan

  assert {
    condition     = alltrue([for a in output.lb_alarms : contains(keys(output.lb_targets), a.target)])
    error_message = "every NLB alarm watches one of the stack's target groups"
  }
  assert {
    condition     = length([for a in output.lb_alarms : a if a.metric == "HealthyHostCount" && a.comparison == "LessThanThreshold" && a.threshold == 1]) == 2
    error_message = "router layout: an alarm when no router serves the read-write, and the read-only, endpoint"
  }
  assert {
    condition     = length([for a in output.lb_alarms : a if a.metric == "UnHealthyHostCount" && a.comparison == "GreaterThanThreshold" && a.threshold == 0]) == 1
    error_message = "router layout: any router failing its check is news"
  }
  assert {
    condition     = alltrue([for a in output.lb_alarms : a.missing == (a.comparison == "LessThanThreshold" ? "breaching" : "notBreaching")])
    error_message = "no data about healthy targets is an outage; no data about unhealthy ones is not"
  }
}

run "alarms_classic_layout" {
  command = plan
  variables {
    client_routing = "nlb-health-checks"
  }

  assert {
    condition     = contains([for a in output.lb_alarms : "${a.target}:${a.metric}:${a.comparison}:${a.threshold}"], "rw:HealthyHostCount:GreaterThanThreshold:1")
    error_message = "classic layout: two nodes answering /primary raise an alarm"
  }
  assert {
    condition     = contains([for a in output.lb_alarms : "${a.target}:${a.metric}:${a.comparison}:${a.threshold}"], "rw:HealthyHostCount:LessThanThreshold:1")
    error_message = "classic layout: no node answering /primary raises an alarm"
  }
  assert {
    condition     = length([for a in output.lb_alarms : a if a.target == "rw" && a.metric == "UnHealthyHostCount"]) == 0
    error_message = "classic layout: the replicas always fail /primary, so unhealthy read-write targets are normal"
  }
  assert {
    condition     = contains([for a in output.lb_alarms : "${a.target}:${a.metric}:${a.comparison}:${a.threshold}"], "ro:UnHealthyHostCount:GreaterThanThreshold:1")
    error_message = "classic layout: the primary fails /replica; any other failing node is a replica down"
  }
}
