# Inputs of the user-data renderer. Nothing secret comes in here: instances read their
# passwords from SSM Parameter Store at boot, by parameter name.

variable "cluster_name" {
  description = "Cluster (Patroni scope) name; also the prefix of every AWS name."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.cluster_name))
    error_message = "cluster_name: 2-21 characters, lower-case letters, digits and '-', starting with a letter."
  }
}

variable "region" {
  description = "AWS region the instances call (SSM, S3)."
  type        = string
}

variable "package_s3_uris" {
  description = "s3:// URIs of the pgha packages built by `make deb`: pgha (every host), agent (database nodes), router (etcd hosts)."
  type        = object({ pgha = string, agent = string, router = string })
  validation {
    condition     = alltrue([for u in values(var.package_s3_uris) : can(regex("^s3://[a-z0-9.-]+/.+\\.deb$", u))])
    error_message = "package_s3_uris must look like s3://bucket/packages/pgha_VERSION_amd64.deb."
  }
}

variable "db_data_volume_ids" {
  description = "EBS volume id of each database node's data volume, in db_nodes order."
  type        = list(string)
  validation {
    condition     = alltrue([for v in var.db_data_volume_ids : can(regex("^vol-[0-9a-f]{8,17}$", v))])
    error_message = "db_data_volume_ids must be EBS volume ids (vol-...)."
  }
}

variable "ssm_prefix" {
  description = "SSM Parameter Store path holding the cluster's SecureString passwords, e.g. /pgha/main."
  type        = string
  validation {
    condition     = can(regex("^/[A-Za-z0-9_./-]+[^/]$", var.ssm_prefix))
    error_message = "ssm_prefix must be an absolute parameter path without a trailing slash."
  }
}

variable "etcd_members" {
  description = "The etcd members, in order: name and private IP."
  type        = list(object({ name = string, ip = string }))
  validation {
    condition     = length(var.etcd_members) == 3
    error_message = "pgha runs exactly 3 etcd members."
  }
}

variable "db_nodes" {
  description = "The database nodes, in order: name and private IP."
  type        = list(object({ name = string, ip = string }))
  validation {
    condition     = length(var.db_nodes) >= 2 && length(var.db_nodes) <= 9
    error_message = "between 2 and 9 database nodes."
  }
  validation {
    condition     = length(var.db_nodes) == length(var.db_data_volume_ids)
    error_message = "one data volume per database node."
  }
}

variable "vpc_cidr" {
  description = "The VPC's CIDR: pg_hba.conf admits password logins from it only."
  type        = string
  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a CIDR block."
  }
}

variable "synchronous_mode" {
  description = "Synchronous replication (no acknowledged commit lost on failover)."
  type        = bool
  default     = true
}

variable "pg_shared_buffers" {
  description = "PostgreSQL shared_buffers, e.g. 1GB (about a quarter of the instance's memory)."
  type        = string
  default     = "1GB"
  validation {
    condition     = can(regex("^[0-9]+(kB|MB|GB)$", var.pg_shared_buffers))
    error_message = "pg_shared_buffers: a number with kB, MB or GB."
  }
}

variable "pg_max_connections" {
  description = "PostgreSQL max_connections."
  type        = number
  default     = 200
  validation {
    condition     = var.pg_max_connections >= 20 && var.pg_max_connections <= 5000
    error_message = "pg_max_connections: 20 to 5000."
  }
}

variable "router_ports" {
  description = "Ports of the pgha routers on the etcd hosts."
  type        = object({ rw = number, ro = number, http = number })
  default     = { rw = 5432, ro = 5433, http = 8010 }
}

variable "client_names" {
  description = "DNS names clients use to reach PostgreSQL (the NLB's, a Route 53 alias...): each database node's certificate names them, for sslmode=verify-full."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for n in var.client_names : can(regex("^[A-Za-z0-9.-]+$", n))])
    error_message = "client_names: DNS names only."
  }
}

variable "backup" {
  description = "pgBackRest's repository, the stack's S3 bucket (bucket name; the repository path inside it is /<cluster_name>), and the cluster's backup schedule (pgha durations: 30min, 12h, 7d, or \"0\" for never) and retention (full backups kept)."
  type = object({
    bucket         = string
    full_every     = optional(string, "7d")
    diff_every     = optional(string, "1d")
    retention_full = optional(number, 2)
  })
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.backup.bucket))
    error_message = "backup.bucket must be an S3 bucket name."
  }
  validation {
    condition     = alltrue([for d in [var.backup.full_every, var.backup.diff_every] : can(regex("^(0|[1-9][0-9]*(s|min|h|d|w)?)$", d))])
    error_message = "backup.full_every and backup.diff_every are durations: 0 (never), or a number with s, min, h, d or w."
  }
  validation {
    condition     = var.backup.retention_full >= 1 && var.backup.retention_full <= 99 && floor(var.backup.retention_full) == var.backup.retention_full
    error_message = "backup.retention_full: between 1 and 99 full backups."
  }
}
