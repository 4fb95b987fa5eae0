# terraform test for modules/userdata (provider-free: runs offline through
# scripts/check-deploy.sh, which also passes the rendered scripts through bash -n and
# shellcheck and the agent configurations through `pgha agent --check`).

variables {
  cluster_name = "sample"
  region       = "us-east-1"
  package_s3_uris = {
    pgha   = "s3://sample-artifacts/packages/pgha_0.1.0_amd64.deb"
    agent  = "s3://sample-artifacts/packages/pgha-agent_0.1.0_all.deb"
    router = "s3://sample-artifacts/packages/pgha-router_0.1.0_all.deb"
  }
  db_data_volume_ids = ["vol-0123456789abcdef0", "vol-0123456789abcdef1", "vol-0123456789abcdef2"]
  ssm_prefix         = "/pgha/sample"
  vpc_cidr           = "10.42.0.0/16"
  backup             = { bucket = "sample-backups-20261208" }
  etcd_members = [
    { name = "etcd1", ip = "10.42.10.10" },
    { name = "etcd2", ip = "10.42.11.11" },
    { name = "etcd3", ip = "10.42.12.12" },
  ]
  db_nodes = [
    { name = "pg1", ip = "10.42.10.20" },
    { name = "pg2", ip = "10.42.11.21" },
    { name = "pg3", ip = "10.42.12.22" },
  ]
}

run "renders_every_host" {
  command = plan

  assert {
    condition     = length(output.etcd_user_data) == 3 && length(output.db_user_data) == 3
    error_message = "one boot script per etcd host and per database node"
  }
  assert {
    condition = alltrue([for s in concat(output.etcd_user_data, output.db_user_data, [output.bastion_user_data]) :
    startswith(s, "#!/bin/bash\n") && length(s) < 16384])
    error_message = "boot scripts are bash scripts within EC2's 16 KiB user-data limit"
  }
  assert {
    condition     = alltrue([for i, s in output.db_user_data : strcontains(s, base64encode(output.agent_yaml[i]))])
    error_message = "each database node installs its own agent configuration"
  }
  assert {
    condition     = alltrue([for i, y in output.agent_yaml : strcontains(y, "name: pg${i + 1}\n") && strcontains(y, "connect_address: ${var.db_nodes[i].ip}:5432")])
    error_message = "each agent configuration names its node and its address"
  }
  assert {
    condition     = alltrue([for y in output.agent_yaml : strcontains(y, "- 10.42.10.10:2379\n    - 10.42.11.11:2379\n    - 10.42.12.12:2379\n")])
    error_message = "agents know the three etcd members"
  }
  assert {
    condition     = strcontains(output.etcd_env[1], "ETCD_NAME=etcd2\n") && strcontains(output.etcd_env[1], "ETCD_INITIAL_CLUSTER=etcd1=https://10.42.10.10:2380,etcd2=https://10.42.11.11:2380,etcd3=https://10.42.12.12:2380\n")
    error_message = "each etcd member knows its name and the initial cluster"
  }
  assert {
    condition     = strcontains(output.bastion_user_data, base64encode(output.cluster_yaml)) && strcontains(output.cluster_yaml, "scope: sample\n")
    error_message = "the bastion knows where the cluster is"
  }
  assert {
    condition     = alltrue([for s in output.etcd_user_data : strcontains(s, base64encode(output.router_yaml))])
    error_message = "every etcd host runs a router with the same configuration"
  }
}

run "no_secret_in_rendered_files" {
  command = plan

  assert {
    condition = alltrue([for y in concat(output.agent_yaml, [output.router_yaml, output.cluster_yaml], output.etcd_env) :
    !can(regex("(?i)password\\s*[:=]", y))])
    error_message = "configuration files carry no password: they come from SSM at boot"
  }
  assert {
    condition     = alltrue([for s in output.db_user_data : strcontains(s, "ssm_secret '/pgha/sample/superuser-password'") && strcontains(s, "ssm_secret '/pgha/sample/replication-password'")])
    error_message = "database nodes read their passwords from SSM by name"
  }
  assert {
    condition     = alltrue([for s in concat(output.etcd_user_data, output.db_user_data, [output.bastion_user_data]) : !can(regex("(?m)^\\s*set\\s+-[a-wyz]*x", s))])
    error_message = "no boot script traces its commands into the boot log"
  }
  assert {
    condition = alltrue([for s in output.etcd_user_data : alltrue([for m in regexall("ssm_secret '([^']+)'", s) :
    contains(["/pgha/sample/etcd-root-password", "/pgha/sample/etcd-password", "/pgha/sample/ca-key"], m[0])])])
    error_message = "etcd hosts (routers) read only etcd's users' passwords and the CA's key"
  }
  assert {
    condition     = alltrue([for s in concat(output.etcd_user_data, output.db_user_data) : strcontains(s, "-CAkey <(ssm_secret '/pgha/sample/ca-key')") && !strcontains(s, "ca.key")])
    error_message = "the CA's key goes from SSM to openssl through a pipe, never into a file"
  }
  assert {
    condition     = !strcontains(output.bastion_user_data, "\nissue_cert ")
    error_message = "the bastion never reads the CA's key (it issues no certificate)"
  }
}

run "nodes_archive_into_the_backup_bucket" {
  command = plan

  assert {
    condition = alltrue([for y in output.agent_yaml :
      strcontains(y, "    repo1-type: s3\n    repo1-path: /sample\n    repo1-s3-bucket: sample-backups-20261208\n") &&
    strcontains(y, "    repo1-s3-key-type: auto\n") && !can(regex("repo1-s3-key(-secret)?:", y))])
    error_message = "every node's pgBackRest uses the stack's bucket with its instance role, no key in the file"
  }
  assert {
    condition     = alltrue([for y in output.agent_yaml : strcontains(y, "      full_every: 7d\n      diff_every: 1d\n      retention_full: 2\n")])
    error_message = "the cluster's backup schedule and retention default to a weekly full, a daily diff, two fulls kept"
  }
  assert {
    condition     = alltrue([for s in output.db_user_data : strcontains(s, "\napt_get install --no-install-recommends pgbackrest\n")])
    error_message = "database nodes install pgBackRest"
  }
}

run "rejects_a_backup_schedule_that_is_not_a_duration" {
  command = plan
  variables {
    backup = { bucket = "sample-backups-20261208", full_every = "weekly" }
  }
  expect_failures = [var.backup]
}

run "rejects_two_etcd_members" {
  command = plan
  variables {
    etcd_members = [{ name = "etcd1", ip = "10.42.10.10" }, { name = "etcd2", ip = "10.42.11.11" }]
  }
  expect_failures = [var.etcd_members]
}

run "rejects_a_package_that_is_not_in_s3" {
  command = plan
  variables {
    package_s3_uris = {
      pgha   = "https://example.org/pgha_0.1.0_amd64.deb"
      agent  = "s3://sample-artifacts/packages/pgha-agent_0.1.0_all.deb"
      router = "s3://sample-artifacts/packages/pgha-router_0.1.0_all.deb"
    }
  }
  expect_failures = [var.package_s3_uris]
}

run "rejects_a_node_without_its_data_volume" {
  command = plan
  variables {
    db_data_volume_ids = ["vol-0123456789abcdef0", "vol-0123456789abcdef1"]
  }
  expect_failures = [var.db_nodes]
}

run "hosts_install_only_their_packages" {
  command = plan

  assert {
    condition     = alltrue([for s in output.db_user_data : strcontains(s, "\ninstall_pgha pgha agent\n")])
    error_message = "database nodes install pgha and pgha-agent"
  }
  assert {
    condition = alltrue([for s in output.etcd_user_data :
    strcontains(s, "\ninstall_pgha pgha router\n") && !strcontains(s, "\ninstall_postgresql\n")])
    error_message = "etcd hosts install pgha and pgha-router, and no PostgreSQL server"
  }
  assert {
    condition     = strcontains(output.bastion_user_data, "\ninstall_pgha pgha\n") && !strcontains(output.bastion_user_data, "\ninstall_postgresql\n") && strcontains(output.bastion_user_data, "postgresql-client-15")
    error_message = "the bastion installs pgha and the PostgreSQL client only"
  }
}

run "database_nodes_keep_their_data_on_their_volume" {
  command = plan

  assert {
    condition     = alltrue([for i, s in output.db_user_data : strcontains(s, "data_volume_device") && strcontains(s, var.db_data_volume_ids[i]) && length(regexall("vol-0123456789abcdef", s)) == length(regexall(var.db_data_volume_ids[i], s))])
    error_message = "each database node mounts its own data volume, and no other"
  }
  assert {
    condition     = alltrue([for s in output.db_user_data : strcontains(s, "RequiresMountsFor=%s") && strcontains(s, "mnt=/var/lib/postgresql/15")])
    error_message = "the agent never starts without the data volume mounted"
  }
  assert {
    condition     = alltrue([for s in output.db_user_data : strcontains(s, "\nmount_data_volume\n") && strcontains(s, "cmp -s -n 1048576")])
    error_message = "the boot script mounts the data volume, and formats only an empty one"
  }
  assert {
    condition     = alltrue([for y in output.agent_yaml : strcontains(y, "data_dir: /var/lib/postgresql/15/pgha\n")])
    error_message = "the data directory lies on the data volume's mount point"
  }
}

run "etcd_hosts_join_instead_of_wiping" {
  command = plan

  assert {
    condition     = alltrue([for s in output.etcd_user_data : strcontains(s, "\tpgha-etcd-join --wait ") && !can(regex("rm -rf[^\n]*/var/lib/etcd", s))])
    error_message = "an etcd host decides new/existing with pgha-etcd-join and never deletes etcd data"
  }
  assert {
    condition     = alltrue([for s in output.etcd_user_data : strcontains(s, "systemctl enable --now --no-block pgha-router")])
    error_message = "the boot does not wait for the router's READY (it comes once etcd has a quorum)"
  }
}

run "rejects_a_trailing_slash_in_the_ssm_prefix" {
  command = plan
  variables {
    ssm_prefix = "/pgha/sample/"
  }
  expect_failures = [var.ssm_prefix]
}

run "tls_and_authentication_everywhere" {
  command = plan
  variables {
    client_names = ["db.example.internal"]
  }

  assert {
    condition     = alltrue([for y in output.agent_yaml : strcontains(y, "certfile: /etc/pgha/tls/node.crt\n") && strcontains(y, "etcd3:\n  protocol: https\n  cacert: /etc/pgha/tls/ca.crt\n  username: pgha\n") && strcontains(y, "client_tls_sslmode: require\n") && strcontains(y, "ssl: \"on\"\n")])
    error_message = "agents: REST API over https, etcd over https as its user, PgBouncer and PostgreSQL with TLS"
  }
  assert {
    condition     = alltrue([for y in output.agent_yaml : !can(regex("(?m)^    - host (all|replication) [a-z]+ 10\\.42", y)) && strcontains(y, "- hostssl replication replicator 10.42.0.0/16 scram-sha-256\n")])
    error_message = "PostgreSQL admits logins over the network with TLS only"
  }
  assert {
    condition     = alltrue([for y in output.agent_yaml : length(regexall("sslmode: verify-full", y)) == 3])
    error_message = "replication, pg_rewind and the tools check the other node's name (verify-full)"
  }
  assert {
    condition     = alltrue([for i, s in output.db_user_data : strcontains(s, "issue_cert node postgres:postgres 'IP:${var.db_nodes[i].ip},DNS:pg${i + 1},IP:127.0.0.1,DNS:localhost,IP:10.42.10.10,IP:10.42.11.11,IP:10.42.12.12,DNS:db.example.internal'")])
    error_message = "a node's certificate names it, and the routers and names clients connect through"
  }
  assert {
    condition     = alltrue([for e in output.etcd_env : strcontains(e, "ETCD_LISTEN_CLIENT_URLS=https://") && strcontains(e, "ETCD_PEER_CLIENT_CERT_AUTH=true\n")])
    error_message = "etcd: TLS for clients and peers, peers with a certificate of the CA"
  }
  assert {
    condition     = alltrue([for s in output.etcd_user_data : strcontains(s, "\nenable_etcd_auth\n") && strcontains(s, "etcd_call auth/enable")])
    error_message = "etcd hosts turn etcd's authentication on"
  }
  assert {
    condition     = strcontains(output.router_yaml, "protocol: https\n") && !can(regex("(?i)password\\s*[:=]", output.router_yaml))
    error_message = "routers reach etcd over https; their password is in router.env, not router.yml"
  }
  assert {
    condition     = strcontains(output.cluster_yaml, "protocol: https\n") && strcontains(output.bastion_user_data, "PATRONI_ETCD3_PASSWORD=$(secret")
    error_message = "the bastion's tools reach etcd over https as its user"
  }
}
