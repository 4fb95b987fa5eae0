# layout: the address plan and the traffic rules of a pgha cluster, as plain data.
#
# Pure (no provider, no resource): the root module turns it into subnets, instances,
# security group rules and NLB target groups; scripts/check-deploy.sh evaluates it for
# each supported shape (1 or 3 zones, router or classic routing) and checks it.

locals {
  prefix_len = tonumber(split("/", var.vpc_cidr)[1])

  # The zones the cluster may use: available, and offering every instance type the
  # stack asks for (the older zones of some regions lack the newer types). Sorted, so
  # that the same zones come first every time; the first az_count are used (the zones
  # output checks there are enough).
  usable_zones = sort([for z in distinct(var.available_zones) : z
    if alltrue([for t in var.instance_types : contains(lookup(var.zone_instance_types, z, []), t)])
  ])
  zones = slice(local.usable_zones, 0, min(var.az_count, length(local.usable_zones)))

  # Public 10.x.0-2.0/24 (bastion, NAT), private 10.x.10-12.0/24 (everything else).
  public_cidrs  = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 24 - local.prefix_len, i)]
  private_cidrs = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 24 - local.prefix_len, 10 + i)]

  # Fixed private addresses: etcd's initial cluster and the agents' etcd3.hosts are
  # written at boot, before any instance exists. Host i sits in zone i mod az_count.
  etcd_members = [for i in range(3) : {
    name = "etcd${i + 1}"
    ip   = cidrhost(local.private_cidrs[i % var.az_count], 10 + i)
    zone = i % var.az_count
  }]
  db_nodes = [for i in range(var.db_node_count) : {
    name = "pg${i + 1}"
    ip   = cidrhost(local.private_cidrs[i % var.az_count], 20 + i)
    zone = i % var.az_count
  }]

  router_mode  = var.client_routing == "router"
  client_cidrs = length(var.client_cidrs) > 0 ? var.client_cidrs : [var.vpc_cidr]
  ports = {
    postgres = 5432 # PostgreSQL on the database nodes
    pooler   = 6432 # PgBouncer on the database nodes
    restapi  = 8008 # the agents' REST API
    rw       = 5432 # read-write endpoint: NLB listener and router
    ro       = 5433 # read-only endpoint: NLB listener and router
    router   = 8010 # the routers' /health and /metrics
  }

  # Who may talk to whom: [to, port, from, why]; see security.tf for the table.
  group_rules = concat(
    [
      ["etcd", 22, "bastion", "SSH from the bastion"],
      ["db", 22, "bastion", "SSH from the bastion"],
      ["etcd", 2379, "db", "etcd clients: agents"],
      ["etcd", 2379, "etcd", "etcd clients: routers"],
      ["etcd", 2379, "bastion", "etcd clients: pgha CLI"],
      ["etcd", 2380, "etcd", "etcd peers"],
      ["db", local.ports.postgres, "db", "replication and pg_rewind"],
      ["db", local.ports.postgres, "bastion", "psql from the bastion"],
      ["db", local.ports.pooler, "etcd", "PgBouncer: routers"],
      ["db", local.ports.pooler, "bastion", "PgBouncer: bastion"],
      ["db", local.ports.restapi, "db", "REST API: peers"],
      ["db", local.ports.restapi, "etcd", "REST API: router health checks"],
      ["db", local.ports.restapi, "bastion", "REST API: pgha CLI"],
      ["etcd", local.ports.rw, "bastion", "router read-write: bastion"],
      ["etcd", local.ports.ro, "bastion", "router read-only: bastion"],
      ["etcd", local.ports.router, "bastion", "router /metrics: bastion"],
    ],
    local.router_mode ? [
      ["etcd", local.ports.rw, "nlb", "router read-write: NLB"],
      ["etcd", local.ports.ro, "nlb", "router read-only: NLB"],
      ["etcd", local.ports.router, "nlb", "router liveness: NLB health checks"],
      ] : [
      ["db", local.ports.pooler, "nlb", "PgBouncer: NLB (classic layout)"],
      ["db", local.ports.restapi, "nlb", "REST API: NLB /primary, /replica checks"],
    ],
  )

  # From address blocks: [to, port, cidr, why].
  cidr_rules = concat(
    [for c in var.admin_cidrs : ["bastion", 22, c, "SSH from administrators"]],
    [for c in local.client_cidrs : ["nlb", local.ports.rw, c, "clients: read-write"]],
    [for c in local.client_cidrs : ["nlb", local.ports.ro, c, "clients: read-only"]],
    # Clients inside the VPC may also use a router directly (no NLB hop).
    [for c in local.client_cidrs : ["etcd", local.ports.rw, c, "clients: router read-write"] if local.router_mode],
    [for c in local.client_cidrs : ["etcd", local.ports.ro, c, "clients: router read-only"] if local.router_mode],
  )

  # NLB target groups. Router layout: the routers on the etcd hosts, checked for
  # liveness only (TCP on their HTTP port): which node is primary is the routers' job,
  # so a failover never waits for NLB health checks. Classic layout: each node's
  # PgBouncer, chosen by HTTP checks of the agent's /primary and /replica.
  lb_targets = local.router_mode ? {
    rw = { role = "etcd", port = local.ports.rw, check_port = local.ports.router, check_path = "" }
    ro = { role = "etcd", port = local.ports.ro, check_port = local.ports.router, check_path = "" }
    } : {
    rw = { role = "db", port = local.ports.pooler, check_port = local.ports.restapi, check_path = "/primary" }
    ro = { role = "db", port = local.ports.pooler, check_port = local.ports.restapi, check_path = "/replica" }
  }
  lb_listeners = { rw = local.ports.rw, ro = local.ports.ro }

  # CloudWatch alarms on the NLB's target groups (metric AWS/NetworkELB, per target
  # group). Router layout: every router passes its TCP check, so any unhealthy one is
  # news, and none healthy means the endpoint is down. Classic layout: exactly one
  # node answers /primary (none: no primary; two: two nodes claim to be primary), and
  # every node but the primary answers /replica.
  lb_alarms = local.router_mode ? {
    rw-no-router = {
      target      = "rw", metric = "HealthyHostCount", statistic = "Minimum"
      comparison  = "LessThanThreshold", threshold = 1, missing = "breaching"
      description = "No pgha router passes the NLB's check: the read-write endpoint is down."
    }
    ro-no-router = {
      target      = "ro", metric = "HealthyHostCount", statistic = "Minimum"
      comparison  = "LessThanThreshold", threshold = 1, missing = "breaching"
      description = "No pgha router passes the NLB's check: the read-only endpoint is down."
    }
    router-down = {
      target      = "rw", metric = "UnHealthyHostCount", statistic = "Maximum"
      comparison  = "GreaterThanThreshold", threshold = 0, missing = "notBreaching"
      description = "A pgha router fails the NLB's check (its host or its unit is down)."
    }
    } : {
    rw-no-primary = {
      target      = "rw", metric = "HealthyHostCount", statistic = "Minimum"
      comparison  = "LessThanThreshold", threshold = 1, missing = "breaching"
      description = "No database node answers /primary: no writes (failover in progress, or stuck)."
    }
    rw-two-primaries = {
      target      = "rw", metric = "HealthyHostCount", statistic = "Maximum"
      comparison  = "GreaterThanThreshold", threshold = 1, missing = "notBreaching"
      description = "More than one database node answers /primary."
    }
    ro-no-replica = {
      target      = "ro", metric = "HealthyHostCount", statistic = "Minimum"
      comparison  = "LessThanThreshold", threshold = 1, missing = "breaching"
      description = "No database node answers /replica: the read-only endpoint is down."
    }
    replica-down = {
      target      = "ro", metric = "UnHealthyHostCount", statistic = "Maximum"
      comparison  = "GreaterThanThreshold", threshold = 1, missing = "notBreaching"
      description = "A replica fails /replica (down, or lagging), besides the primary."
    }
  }
}
