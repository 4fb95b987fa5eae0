# terraform test for modules/layout (provider-free: runs offline, in CI, through
# scripts/check-deploy.sh). Each run evaluates the plan of one cluster shape.

variables {
  vpc_cidr       = "10.42.0.0/16"
  az_count       = 3
  db_node_count  = 3
  client_routing = "router"
  admin_cidrs    = ["203.0.113.7/32"]
  client_cidrs   = []
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
}
