# terraform test for the validation rules of deploy/aws/variables.tf. The root module
# needs the AWS provider, which CI cannot download, so scripts/check-deploy.sh copies
# variables.tf alone (it is self-contained) next to this file and runs
#   terraform test -var-file=terraform.tfvars.example
# The first run shows the example is accepted; every other run breaks one rule.

run "example_tfvars_are_valid" {
  command = plan
}

run "two_zones_are_not_a_layout" {
  command = plan
  variables {
    az_count = 2
  }
  expect_failures = [var.az_count]
}

run "ssh_open_to_the_world_is_refused" {
  command = plan
  variables {
    admin_cidrs = ["0.0.0.0/0"]
  }
  expect_failures = [var.admin_cidrs]
}

run "admin_cidrs_must_be_cidrs" {
  command = plan
  variables {
    admin_cidrs = ["my laptop"]
  }
  expect_failures = [var.admin_cidrs]
}

run "graviton_cannot_run_an_amd64_package" {
  command = plan
  variables {
    db_instance_type = "m7g.large"
  }
  expect_failures = [var.db_instance_type]
}

run "unknown_routing_is_refused" {
  command = plan
  variables {
    client_routing = "dns"
  }
  expect_failures = [var.client_routing]
}

run "cluster_name_must_fit_aws_names" {
  command = plan
  variables {
    cluster_name = "Prod_DB"
  }
  expect_failures = [var.cluster_name]
}

run "vpc_too_small" {
  command = plan
  variables {
    vpc_cidr = "10.0.0.0/24"
  }
  expect_failures = [var.vpc_cidr]
}

run "ssh_key_must_be_a_public_key" {
  command = plan
  variables {
    ssh_public_key = "-----BEGIN OPENSSH PRIVATE KEY-----"
  }
  expect_failures = [var.ssh_public_key]
}

run "one_database_node_is_not_ha" {
  command = plan
  variables {
    db_node_count = 1
  }
  expect_failures = [var.db_node_count]
}

run "package_version_must_be_a_debian_version" {
  command = plan
  variables {
    pgha_version = "latest/../../x"
  }
  expect_failures = [var.pgha_version]
}

run "alarm_email_must_be_an_address" {
  command = plan
  variables {
    alarm_email = "ops team"
  }
  expect_failures = [var.alarm_email]
}

run "alarm_email_may_be_given" {
  command = plan
  variables {
    alarm_email = "oncall@example.org"
  }
}

run "data_volume_within_gp3_limits" {
  command = plan
  variables {
    db_volume_iops = 20000
  }
  expect_failures = [var.db_volume_iops]
}

run "health_checks_within_nlb_limits" {
  command = plan
  variables {
    nlb_health_check_interval_s = 1
  }
  expect_failures = [var.nlb_health_check_interval_s]
}

run "one_zone_is_a_valid_option" {
  command = plan
  variables {
    az_count       = 1
    client_routing = "nlb-health-checks"
  }
}

run "backup_schedule_must_be_a_duration" {
  command = plan
  variables {
    backup_full_every = "weekly"
  }
  expect_failures = [var.backup_full_every]
}

run "backups_keep_at_least_one_full" {
  command = plan
  variables {
    backup_retention_full = 0
  }
  expect_failures = [var.backup_retention_full]
}
