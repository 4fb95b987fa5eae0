#!/bin/bash
# replace-etcd.sh: replace the instance of one etcd host (etcd1, etcd2, etcd3), which
# also runs a pgha router.
#
#   deploy/aws/scripts/replace-etcd.sh HOST [--yes] [terraform apply options]
#
# The other two members must be healthy: they keep the quorum meanwhile, and the new
# host needs them to join. Terraform terminates the instance and creates a new one
# with the same name and address (and moves the NLB's targets to it). Its boot script
# runs pgha-etcd-join, which finds the cluster running and this host's former member
# in it: it removes that member (etcdctl member remove) and adds the new host
# (etcdctl member add), and etcd starts with ETCD_INITIAL_CLUSTER_STATE=existing and
# an empty data directory that the leader fills. Then the script waits until the
# cluster has three healthy members again. See deploy/aws/docs/runbook.md.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

host=${1:-}
case "$host" in "" | -*) die "usage: replace-etcd.sh HOST [--yes] [terraform options]" ;; esac
shift
auto_approve=()
if [ "${1:-}" = "--yes" ]; then
	auto_approve=(-auto-approve)
	shift
fi
need terraform aws jq ssh

case "$host" in
etcd1 | etcd2 | etcd3) index=$((${host#etcd} - 1)) ;;
*) die "$host is not an etcd host of this stack (etcd1, etcd2, etcd3)" ;;
esac
mapfile -t endpoints < <(tf_output etcd_endpoints | jq -r '.[]')
others=()
for i in "${!endpoints[@]}"; do
	[ "$i" = "$index" ] || others+=("${endpoints[$i]}")
done
others_csv=$(
	IFS=,
	echo "${others[*]}"
)
all_csv=$(
	IFS=,
	echo "${endpoints[*]}"
)

say "checking that the other members (${others_csv}) are healthy"
on_bastion "pgha-env etcdctl --endpoints=$others_csv endpoint health" ||
	die "the other two members must be healthy before $host is replaced (they keep the quorum)"

tf apply -input=false -replace="aws_instance.etcd[$index]" "${auto_approve[@]}" "$@"

say "waiting for $host to join (boot, packages, pgha-etcd-join: a few minutes)"
deadline=$((SECONDS + 1200))
until on_bastion "pgha-env etcdctl --endpoints=$all_csv endpoint health" >/dev/null 2>&1 &&
	[ "$(on_bastion "pgha-env etcdctl --endpoints=$others_csv member list" |
		grep -c ', started, ')" = 3 ]; do
	[ $SECONDS -lt $deadline ] ||
		die "$host has not joined after 20 minutes: see the runbook (cloud-init-output.log on $host)"
	sleep 15
done
say "three healthy members again:"
on_bastion "pgha-env etcdctl --endpoints=$all_csv member list -w table"
