# Inputs of the pgha AWS stack. Every variable is validated here, on its own, so that
# scripts/check-deploy.sh can test the rules without AWS (see tests/variables/).

variable "cluster_name" {
  description = "Cluster name: the Patroni scope, and the prefix of every AWS resource name."
  type        = string
  default     = "pgha"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.cluster_name))
    error_message = "cluster_name: 2-21 characters, lower-case letters, digits and '-', starting with a letter."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "az_count" {
  description = "Availability zones: 3 (one etcd and one database node in each; survives the loss of a zone) or 1 (cheaper, no zone redundancy)."
  type        = number
  default     = 3
  validation {
    condition     = contains([1, 3], var.az_count)
    error_message = "az_count must be 3 (recommended) or 1 (cost option)."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; a /16 to /20 (subnets are /24s carved from it)."
  type        = string
  default     = "10.42.0.0/16"
  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be an IPv4 CIDR block from /16 to /20."
  }
}

variable "admin_cidrs" {
  description = "Addresses allowed to SSH to the bastion (e.g. [\"203.0.113.7/32\"]). The bastion is the only SSH entry."
  type        = list(string)
  validation {
    condition     = length(var.admin_cidrs) > 0 && alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0))])
    error_message = "admin_cidrs must list at least one CIDR block."
  }
  validation {
    condition     = !contains(var.admin_cidrs, "0.0.0.0/0")
    error_message = "admin_cidrs must not contain 0.0.0.0/0: name the addresses you administer from."
  }
}

variable "client_cidrs" {
  description = "Addresses allowed to connect to the database endpoints (the internal NLB). Empty: the VPC only."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.client_cidrs : can(cidrhost(c, 0))])
    error_message = "client_cidrs must be CIDR blocks."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key installed for the 'admin' user on every instance."
  type        = string
  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$", trimspace(var.ssh_public_key)))
    error_message = "ssh_public_key must be one OpenSSH public key line (ssh-ed25519 AAAA... comment)."
  }
}

variable "etcd_instance_type" {
  description = "Instance type of the 3 etcd hosts (which also run the pgha routers). x86_64: the package is amd64."
  type        = string
  default     = "t3.small"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.etcd_instance_type)) && !can(regex("^[a-z]+[0-9]+[a-z]*g[a-z]*\\.", var.etcd_instance_type))
    error_message = "etcd_instance_type must be an x86_64 instance type such as t3.small (no Graviton: the package is amd64)."
  }
}

variable "db_instance_type" {
  description = "Instance type of the database nodes. x86_64: the package is amd64."
  type        = string
  default     = "t3.medium"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.db_instance_type)) && !can(regex("^[a-z]+[0-9]+[a-z]*g[a-z]*\\.", var.db_instance_type))
    error_message = "db_instance_type must be an x86_64 instance type such as t3.medium (no Graviton: the package is amd64)."
  }
}

variable "bastion_instance_type" {
  description = "Instance type of the bastion."
  type        = string
  default     = "t3.micro"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.bastion_instance_type)) && !can(regex("^[a-z]+[0-9]+[a-z]*g[a-z]*\\.", var.bastion_instance_type))
    error_message = "bastion_instance_type must be an x86_64 instance type such as t3.micro."
  }
}

variable "db_node_count" {
  description = "Database nodes (one primary, the rest replicas), spread over the zones."
  type        = number
  default     = 3
  validation {
    condition     = var.db_node_count >= 2 && var.db_node_count <= 9
    error_message = "db_node_count: 2 to 9 (3 recommended)."
  }
}

variable "db_volume_gb" {
  description = "Data volume of each database node, in GiB: a separate encrypted gp3 volume, mounted on /var/lib/postgresql/15 (PostgreSQL's data directory and WAL). It outlives the instance: a replaced node gets its data back."
  type        = number
  default     = 50
  validation {
    condition     = var.db_volume_gb >= 10 && var.db_volume_gb <= 16384
    error_message = "db_volume_gb: 10 to 16384."
  }
}

variable "db_volume_iops" {
  description = "Provisioned IOPS of each data volume (gp3: 3000 included, up to 16000)."
  type        = number
  default     = 3000
  validation {
    condition     = var.db_volume_iops >= 3000 && var.db_volume_iops <= 16000
    error_message = "db_volume_iops: 3000 to 16000 (gp3)."
  }
}

variable "db_volume_throughput" {
  description = "Throughput of each data volume in MiB/s (gp3: 125 included, up to 1000)."
  type        = number
  default     = 125
  validation {
    condition     = var.db_volume_throughput >= 125 && var.db_volume_throughput <= 1000
    error_message = "db_volume_throughput: 125 to 1000 MiB/s (gp3)."
  }
}

variable "db_volume_final_snapshot" {
  description = "Take a snapshot of each data volume when Terraform deletes it (destroy, or a replaced volume): a last copy of the data, billed as EBS snapshot storage."
  type        = bool
  default     = false
}

variable "db_root_volume_gb" {
  description = "Root volume (gp3) of each database node, in GiB: the system and logs; the data lives on the data volume."
  type        = number
  default     = 20
  validation {
    condition     = var.db_root_volume_gb >= 10 && var.db_root_volume_gb <= 1000
    error_message = "db_root_volume_gb: 10 to 1000."
  }
}

variable "etcd_volume_gb" {
  description = "Root volume (gp3) of each etcd host, in GiB."
  type        = number
  default     = 20
  validation {
    condition     = var.etcd_volume_gb >= 10 && var.etcd_volume_gb <= 1000
    error_message = "etcd_volume_gb: 10 to 1000."
  }
}

variable "client_routing" {
  description = "How the NLB reaches the primary and the replicas. \"router\" (recommended): the NLB forwards to the pgha routers on the etcd hosts, which follow the cluster through etcd, so failover is not delayed by NLB health checks. \"nlb-health-checks\": the classic layout, the NLB forwards straight to each node's PgBouncer, selected by HTTP checks of :8008/primary and /replica."
  type        = string
  default     = "router"
  validation {
    condition     = contains(["router", "nlb-health-checks"], var.client_routing)
    error_message = "client_routing must be \"router\" or \"nlb-health-checks\"."
  }
}

variable "nlb_health_check_interval_s" {
  description = "Seconds between NLB health checks (5 to 300). In router mode they only watch the routers themselves."
  type        = number
  default     = 5
  validation {
    condition     = var.nlb_health_check_interval_s >= 5 && var.nlb_health_check_interval_s <= 300
    error_message = "nlb_health_check_interval_s: 5 to 300."
  }
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per zone (survives a zone loss for outbound traffic) instead of one for the whole VPC (cheaper)."
  type        = bool
  default     = false
}

variable "package_dir" {
  description = "Directory holding the packages `make deb` builds (pgha, pgha-agent, pgha-router), relative to deploy/aws/. Needed to create or update the stack, not to destroy it."
  type        = string
  default     = "../.."
}

variable "pgha_version" {
  description = "Version of the pgha packages to install (debian/changelog): pgha_VERSION_amd64.deb, pgha-agent_VERSION_all.deb, pgha-router_VERSION_all.deb."
  type        = string
  default     = "0.1.0"
  validation {
    condition     = can(regex("^[0-9][A-Za-z0-9.+~]*$", var.pgha_version))
    error_message = "pgha_version must be a Debian version such as 0.1.0 (run `make deb` first)."
  }
}

variable "synchronous_mode" {
  description = "Synchronous replication: no acknowledged commit is lost on failover (recommended)."
  type        = bool
  default     = true
}

variable "pg_shared_buffers" {
  description = "PostgreSQL shared_buffers: about a quarter of the database instance's memory (t3.medium: 4 GiB)."
  type        = string
  default     = "1GB"
  validation {
    condition     = can(regex("^[0-9]+(kB|MB|GB)$", var.pg_shared_buffers))
    error_message = "pg_shared_buffers: a number followed by kB, MB or GB."
  }
}

variable "pg_max_connections" {
  description = "PostgreSQL max_connections (clients go through PgBouncer, which multiplexes)."
  type        = number
  default     = 200
  validation {
    condition     = var.pg_max_connections >= 20 && var.pg_max_connections <= 5000
    error_message = "pg_max_connections: 20 to 5000."
  }
}

variable "backup_full_every" {
  description = "A full backup (pgBackRest, taken by the leader from a standby) this often: 30min, 12h, 7d, 2w; \"0\": never scheduled."
  type        = string
  default     = "7d"
  validation {
    condition     = can(regex("^(0|[1-9][0-9]*(s|min|h|d|w)?)$", var.backup_full_every))
    error_message = "backup_full_every: 0, or a number followed by s, min, h, d or w."
  }
}

variable "backup_diff_every" {
  description = "A differential backup this often (same form as backup_full_every)."
  type        = string
  default     = "1d"
  validation {
    condition     = can(regex("^(0|[1-9][0-9]*(s|min|h|d|w)?)$", var.backup_diff_every))
    error_message = "backup_diff_every: 0, or a number followed by s, min, h, d or w."
  }
}

variable "backup_retention_full" {
  description = "Full backups kept (pgBackRest's expire drops older ones and the WAL only they needed)."
  type        = number
  default     = 2
  validation {
    condition     = var.backup_retention_full >= 1 && var.backup_retention_full <= 99 && floor(var.backup_retention_full) == var.backup_retention_full
    error_message = "backup_retention_full: 1 to 99."
  }
}

variable "backup_noncurrent_days" {
  description = "Days an object deleted from the backup bucket (by pgBackRest's expire, or by mistake) stays recoverable as a noncurrent version."
  type        = number
  default     = 7
  validation {
    condition     = var.backup_noncurrent_days >= 1 && var.backup_noncurrent_days <= 3650 && floor(var.backup_noncurrent_days) == var.backup_noncurrent_days
    error_message = "backup_noncurrent_days: 1 to 3650."
  }
}

variable "ami_id" {
  description = "AMI of every instance; empty: the newest official Debian 12 (bookworm) amd64 AMI."
  type        = string
  default     = ""
  validation {
    condition     = var.ami_id == "" || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be empty or an AMI id (ami-...)."
  }
}

variable "secrets_version" {
  description = "Bump to generate new passwords in SSM. The cluster does not change its roles' passwords by itself: see README, \"Rotating passwords\"."
  type        = number
  default     = 1
  validation {
    condition     = var.secrets_version >= 1 && floor(var.secrets_version) == var.secrets_version
    error_message = "secrets_version must be a positive integer."
  }
}

variable "alarm_email" {
  description = "Address subscribed to the stack's alarm topic (CloudWatch alarms: NLB targets, instance status checks). AWS sends a confirmation mail first. Empty: no subscription (subscribe to the alarms_topic output yourself)."
  type        = string
  default     = ""
  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address, or empty."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "client_dns_names" {
  description = "More DNS names clients use for the database endpoints (a Route 53 alias of the NLB...): the database nodes' certificates name them, beside the NLB's own name and the routers' addresses, so that sslmode=verify-full works."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for n in var.client_dns_names : can(regex("^[A-Za-z0-9.-]+$", n))])
    error_message = "client_dns_names: DNS names only."
  }
}
