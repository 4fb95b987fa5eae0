#!/bin/bash
# verify.sh: `pgha verify` against the AWS cluster: the nine checks (etcd quorum,
# primary election, streaming replication, health endpoints, the NLB's read-write and
# read-only ports, automatic failover, zero data loss, the old primary rejoining,
# PgBouncer on every node), run on the bastion, the failover by stopping the primary's
# instance from this machine (as chaos.sh does it: see there).
#
#   deploy/aws/scripts/verify.sh [--host-fault stop|reboot] [--json] [--timeout SECONDS]
#
# Exit status 0 only when all nine pass. See deploy/aws/README.md, "Verify".
PGHA_AWS_COMMAND=verify exec bash "$(dirname "$0")/chaos.sh" "$@"
