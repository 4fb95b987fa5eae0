#!/bin/bash
# start.sh: start a stopped cluster: etcd hosts first (the agents need a quorum), then
# the database nodes and the bastion. Every unit is enabled, so the cluster comes back
# by itself; the former leader keeps its role if it is first to return.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need terraform aws jq
export AWS_DEFAULT_REGION
AWS_DEFAULT_REGION=$(region)

read -r -a etcd <<<"$(instance_ids etcd)"
say "starting the etcd hosts"
aws ec2 start-instances --instance-ids "${etcd[@]}" >/dev/null
aws ec2 wait instance-running --instance-ids "${etcd[@]}"

read -r -a rest <<<"$(instance_ids db bastion)"
say "starting the database nodes and the bastion"
aws ec2 start-instances --instance-ids "${rest[@]}" >/dev/null
aws ec2 wait instance-running --instance-ids "${rest[@]}"

say "turning the alarms' actions on again"
alarm_actions enable
say "running; in a minute: $(tf output -raw ssh_bastion) pgha-env pgha list -c /etc/pgha/cluster.yml"
