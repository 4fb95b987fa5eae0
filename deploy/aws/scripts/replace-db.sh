#!/bin/bash
# replace-db.sh: replace the instance of one database node (pg1, pg2, ...), keeping
# its data volume (default) or with a new, empty one.
#
#   deploy/aws/scripts/replace-db.sh NODE [--new-volume] [--yes] [terraform apply options]
#
# The node must not be the leader: switch over first (the script says how). Terraform
# stops the instance (the agent shuts PostgreSQL down cleanly), detaches the data
# volume, terminates the instance and creates a new one with the same name and
# address; its boot script installs the packages, mounts the same volume and starts
# the agent, which rejoins as a replica (pg_rewind if needed). With --new-volume the
# volume is replaced too: the node clones from the leader (pg_basebackup), for a
# volume that is lost or corrupt. Then the script waits until the node streams again.
# See deploy/aws/docs/runbook.md.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

node=${1:-}
case "$node" in "" | -*) die "usage: replace-db.sh NODE [--new-volume] [--yes] [terraform options]" ;; esac
shift
new_volume=0
auto_approve=()
while [ $# -gt 0 ]; do
	case "$1" in
	--new-volume) new_volume=1; shift ;;
	--yes) auto_approve=(-auto-approve); shift ;;
	*) break ;;
	esac
done
need terraform aws jq ssh

index=$(tf_output db_nodes | jq -r --arg n "$node" 'keys | index($n) // empty')
# db_nodes is a map: its keys sort pg1..pg9 in index order.
[ -n "$index" ] || die "$node is not a database node of this stack: $(tf_output db_nodes | jq -r 'keys | join(", ")')"

status=$(cluster_json) || die "cannot read the cluster from the bastion (pgha list)"
leader=$(jq -r '.leader // ""' <<<"$status")
if [ "$leader" = "$node" ]; then
	die "$node is the leader: switch over first, then run this again:" \
		"$(tf output -raw ssh_bastion) pgha-env pgha switchover -c /etc/pgha/cluster.yml --leader $node"
fi
healthy=$(jq --arg n "$node" '[.members[] | select(.name != $n and (.state == "running" or .state == "streaming"))] | length' <<<"$status")
if [ "$healthy" -lt 2 ]; then
	die "only $healthy other member(s) run: replacing $node now could leave no synchronous standby." \
		"Bring the others back first (pgha list on the bastion)."
fi

targets=(-replace="aws_instance.db[$index]")
if [ "$new_volume" = 1 ]; then
	targets+=(-replace="aws_ebs_volume.data[$index]")
	say "replacing $node's instance AND its data volume: it will clone from the leader"
else
	say "replacing $node's instance; its data volume ($(tf_output data_volumes | jq -r --arg n "$node" '.[$n]')) is kept"
fi
tf apply -input=false "${targets[@]}" "${auto_approve[@]}" "$@"

say "waiting for $node to stream from the leader again (boot, packages, rejoin: about 5 minutes)"
deadline=$((SECONDS + 1200))
until cluster_json 2>/dev/null |
	jq -e --arg n "$node" '.members[] | select(.name == $n and .state == "streaming")' >/dev/null; do
	[ $SECONDS -lt $deadline ] || die "$node does not stream after 20 minutes: see the runbook (console output, journalctl -u pgha-agent)"
	sleep 15
done
say "$node streams again:"
on_bastion "pgha-env pgha list -c /etc/pgha/cluster.yml"
