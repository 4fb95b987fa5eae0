#!/bin/bash
# stop.sh: stop every instance to save cost (about 70% of the monthly bill; the NLB,
# the NAT gateway, the volumes and the public addresses still cost, see README).
#
# Order: database nodes first (each agent stops its PostgreSQL cleanly on shutdown;
# the leader last, so that no failover is triggered in between), then the etcd hosts,
# then the bastion.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need terraform aws jq
export AWS_DEFAULT_REGION
AWS_DEFAULT_REGION=$(region)

# leader_id: the instance id of the database node holding the leader key, asked on
# the bastion; empty if that cannot be known (the order then does not matter much).
leader_id() {
	local ip
	ip=$(cluster_json 2>/dev/null |
		jq -r '.leader as $l | .members[] | select(.name == $l) | .host') || return 0
	[ -n "$ip" ] || return 0
	aws ec2 describe-instances --filters "Name=private-ip-address,Values=$ip" \
		--query 'Reservations[].Instances[].InstanceId' --output text
}

# A cluster stopped on purpose is no outage: the alarms stay, their actions go quiet
# (start.sh turns them on again).
say "turning off the alarms' actions"
alarm_actions disable

read -r -a db <<<"$(instance_ids db)"
leader=$(leader_id || true)
replicas=()
for id in "${db[@]}"; do
	[ "$id" = "$leader" ] || replicas+=("$id")
done

say "stopping the replicas: ${replicas[*]}"
aws ec2 stop-instances --instance-ids "${replicas[@]}" >/dev/null
aws ec2 wait instance-stopped --instance-ids "${replicas[@]}"
if [ -n "$leader" ]; then
	say "stopping the leader: $leader"
	aws ec2 stop-instances --instance-ids "$leader" >/dev/null
	aws ec2 wait instance-stopped --instance-ids "$leader"
fi
read -r -a rest <<<"$(instance_ids etcd bastion)"
say "stopping the etcd hosts and the bastion"
aws ec2 stop-instances --instance-ids "${rest[@]}" >/dev/null
aws ec2 wait instance-stopped --instance-ids "${rest[@]}"
say "stopped; start again with deploy/aws/scripts/start.sh"
