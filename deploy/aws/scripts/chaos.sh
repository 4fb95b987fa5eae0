#!/bin/bash
# chaos.sh: `pgha chaos` against the AWS cluster: the same writer, lost-write check,
# one-writer probe and timeline as in a lab, with the fault carried out by AWS.
#
#   deploy/aws/scripts/chaos.sh [--host-fault stop|reboot] --scenario S [pgha chaos options]
#   e.g. scripts/chaos.sh --scenario kill-primary --json
#
# `pgha chaos` runs on the bastion (it must reach etcd, the nodes and the NLB inside the
# VPC; the passwords come from SSM there, through pgha-env), its writer going through
# the NLB's read-write endpoint. The fault is carried out from this machine, where the
# AWS credentials are: `pgha chaos --exec` on the bastion prints a request line
# ("pgha-chaos-relay PHASE SCENARIO VICTIM HOST [ETCD URLS]") and waits for this script's
# answer on the same SSH session; this script does what the request says and answers
# "ok" (or "failed"):
#
#   kill-primary     stop the primary's instance (aws ec2 stop-instances --force; with
#                    --host-fault reboot: reboot-instances), start it again afterwards
#   kill-agent       SIGKILL to the agent (systemctl kill), then systemctl start
#   crash-postgres   SIGKILL to the postmaster (its pid from postmaster.pid)
#   freeze-primary   SIGSTOP to every process of pgha-agent.service, then SIGCONT
#   etcd-leader-stall, etcd-quorum-loss
#                    SIGSTOP to etcd on the chosen etcd hosts, then SIGCONT
#   partition-primary
#                    the primary's security groups replaced by one that admits only the
#                    bastion, and its established connections reset (AWS keeps tracked
#                    flows open after a rule change); the groups restored afterwards
#   switchover       no action: pgha chaos asks the cluster itself
#
# partition-primary-etcd has no EC2 action (a security group cannot allow everything
# but etcd) and is refused. Commands on the hosts go through SSH via the bastion. A
# fault still in place when this script ends, however it ends, is healed. See
# deploy/aws/README.md, "Test failover".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

REMOTE_CONFIG=${PGHA_REMOTE_CONFIG:-/etc/pgha/cluster.yml} # the bastion's cluster description
COMMAND=${PGHA_AWS_COMMAND:-chaos}                         # verify.sh runs `pgha verify`
DATA_DIR=/var/lib/postgresql/15/pgha                       # the agents' data_dir on the hosts

# note: this script's own messages, on stderr (stdout carries pgha's report)
note() {
	say "$@" >&2
}

host_fault=stop
args=()
scenario=""
timeout_given=0
while [ $# -gt 0 ]; do
	case "$1" in
	--host-fault)
		host_fault=${2:-}
		shift 2 || die "--host-fault needs stop or reboot"
		;;
	--scenario)
		scenario=${2:-}
		args+=("$1" "$scenario")
		shift 2 || die "--scenario needs a value"
		;;
	--timeout)
		timeout_given=1
		args+=("$1")
		shift
		;;
	*)
		args+=("$1")
		shift
		;;
	esac
done
case "$host_fault" in stop | reboot) ;; *) die "--host-fault: stop or reboot, not '$host_fault'" ;; esac
case "$scenario" in
partition-primary-etcd) die "partition-primary-etcd has no EC2 action (a security group cannot allow everything but etcd); run it in a lab" ;;
esac
# An instance takes minutes to stop, start and rejoin: more time than a lab needs.
[ "$timeout_given" = 1 ] || args+=(--timeout 90)
need terraform aws jq ssh

bastion=$(tf output -raw bastion_public_ip)
rw=$(tf output -raw rw_endpoint)
ro=$(tf output -raw ro_endpoint)
AWS_REGION=$(region)
export AWS_REGION

# on_host IP COMMAND: COMMAND on a private host, through the bastion.
on_host() {
	# shellcheck disable=SC2029 # the command is built here on purpose
	ssh -o BatchMode=yes -o ConnectTimeout=10 -J "admin@$bastion" "admin@$1" "$2"
}

# instance_of NODE: the instance id of a database node (db_nodes' keys sort pg1..pg9).
instance_of() {
	local index
	index=$(tf_output db_nodes | jq -r --arg n "$1" 'keys | index($n) // empty')
	[ -n "$index" ] || return 1
	tf_output instance_ids | jq -r --argjson i "$index" '.db[$i]'
}

# --- partition-primary: a security group that admits only the bastion ------------------------

isolated_instance=""
saved_groups=""
isolation_group=""

isolate() { # isolate NODE HOST
	local id vpc bastion_groups
	id=$(instance_of "$1") || return 1
	saved_groups=$(aws ec2 describe-instances --instance-ids "$id" \
		--query 'Reservations[0].Instances[0].SecurityGroups[].GroupId' --output text)
	vpc=$(aws ec2 describe-instances --instance-ids "$id" \
		--query 'Reservations[0].Instances[0].VpcId' --output text)
	bastion_groups=$(aws ec2 describe-instances --instance-ids "$(instance_ids bastion)" \
		--query 'Reservations[0].Instances[0].SecurityGroups[].GroupId' --output text)
	isolation_group=$(aws ec2 create-security-group --vpc-id "$vpc" \
		--group-name "pgha-chaos-isolate-$1-$$" --description "pgha chaos: $1 cut off" \
		--query GroupId --output text)
	aws ec2 revoke-security-group-egress --group-id "$isolation_group" \
		--ip-permissions '[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]' >/dev/null
	for g in $bastion_groups; do
		aws ec2 authorize-security-group-ingress --group-id "$isolation_group" \
			--ip-permissions "[{\"IpProtocol\":\"-1\",\"UserIdGroupPairs\":[{\"GroupId\":\"$g\"}]}]" >/dev/null
	done
	isolated_instance=$id
	aws ec2 modify-instance-attribute --instance-id "$id" --groups "$isolation_group"
	# Established flows outlive a rule change: reset every one but the bastion's.
	on_host "$2" "sudo ss -K state established '( not dst $(bastion_private_ip) )'" >/dev/null ||
		note "warning: could not reset $1's established connections (ss -K)"
}

unisolate() {
	[ -n "$isolated_instance" ] || return 0
	# shellcheck disable=SC2086 # the saved group ids, one argument each
	aws ec2 modify-instance-attribute --instance-id "$isolated_instance" --groups $saved_groups
	aws ec2 delete-security-group --group-id "$isolation_group" ||
		note "warning: could not delete security group $isolation_group: delete it by hand"
	isolated_instance=""
}

bastion_private_ip() {
	aws ec2 describe-instances --instance-ids "$(instance_ids bastion)" \
		--query 'Reservations[0].Instances[0].PrivateIpAddress' --output text
}

# --- the actions -----------------------------------------------------------------------------

pending="" # the heal of a fault in place: run on exit if the run did not

# url_host URL: the host of http://host:port.
url_host() {
	local h=${1#*://}
	echo "${h%%:*}"
}

etcd_signal() { # etcd_signal SIGNAL URLS...
	local sig=$1 url
	shift
	for url in "$@"; do
		on_host "$(url_host "$url")" "sudo systemctl kill --signal=$sig etcd"
	done
}

inject() { # inject SCENARIO VICTIM HOST ETCD_URLS...
	local scenario=$1 victim=$2 host=$3
	shift 3
	case "$scenario" in
	kill-primary)
		if [ "$host_fault" = reboot ]; then
			aws ec2 reboot-instances --instance-ids "$(instance_of "$victim")"
		else
			aws ec2 stop-instances --force --instance-ids "$(instance_of "$victim")" >/dev/null
		fi
		;;
	kill-agent) on_host "$host" "sudo systemctl kill --kill-who=main --signal=SIGKILL pgha-agent" ;;
	crash-postgres) on_host "$host" "sudo sh -c 'kill -KILL \$(head -n 1 $DATA_DIR/postmaster.pid)'" ;;
	freeze-primary)
		pending="heal freeze-primary $victim $host"
		on_host "$host" "sudo systemctl kill --signal=SIGSTOP pgha-agent"
		;;
	etcd-leader-stall | etcd-quorum-loss)
		pending="heal $scenario $victim $host $*"
		etcd_signal SIGSTOP "$@"
		;;
	partition-primary)
		pending="heal partition-primary $victim $host"
		isolate "$victim" "$host"
		;;
	*) note "no EC2 action for $scenario" && return 1 ;;
	esac
}

heal() { # heal SCENARIO VICTIM HOST ETCD_URLS...
	local scenario=$1 host=$3
	shift 3
	pending=""
	case "$scenario" in
	freeze-primary) on_host "$host" "sudo systemctl kill --signal=SIGCONT pgha-agent" ;;
	etcd-leader-stall | etcd-quorum-loss) etcd_signal SIGCONT "$@" ;;
	partition-primary) unisolate ;;
	*) return 0 ;;
	esac
}

restart() { # restart SCENARIO VICTIM HOST
	case "$1" in
	kill-primary)
		[ "$host_fault" = reboot ] && return 0 # a rebooted instance comes back by itself
		aws ec2 start-instances --instance-ids "$(instance_of "$2")" >/dev/null
		aws ec2 wait instance-running --instance-ids "$(instance_of "$2")"
		;;
	kill-agent) on_host "$3" "sudo systemctl start pgha-agent" ;;
	*) return 0 ;;
	esac
}

# act REQUEST: one request line of the relay; true when the action was carried out.
act() {
	local tag phase scenario victim host etcd
	read -r tag phase scenario victim host etcd <<<"$1"
	[ "$tag" = pgha-chaos-relay ] || return 1
	note "$phase: $scenario on $victim ($host)${etcd:+, etcd $etcd}"
	# shellcheck disable=SC2086 # the etcd URLs, one argument each
	case "$phase" in
	inject) inject "$scenario" "$victim" "$host" $etcd ;;
	heal) heal "$scenario" "$victim" "$host" $etcd ;;
	restart) restart "$scenario" "$victim" "$host" ;;
	*) return 1 ;;
	esac
}

# shellcheck disable=SC2317 # run by the EXIT trap
on_exit() {
	local rc=$?
	if [ -n "$pending" ]; then
		note "healing the fault still in place"
		# shellcheck disable=SC2086 # the saved words of the heal
		$pending || note "warning: the heal failed: check the cluster (pgha list on the bastion)"
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# --- the run on the bastion --------------------------------------------------------------------

# The relay: what --exec runs on the bastion, for each phase of the fault.
# shellcheck disable=SC2016 # expanded there, by the relay's shell
relay='printf "pgha-chaos-relay %s %s %s %s %s\n" "$PGHA_CHAOS_PHASE" "$PGHA_CHAOS_SCENARIO" "$PGHA_CHAOS_VICTIM" "${PGHA_CHAOS_VICTIM_HOST:--}" "$PGHA_CHAOS_ETCD_VICTIMS"; read -r answer && [ "$answer" = ok ]'
remote="pgha-env pgha $COMMAND -c $(printf '%q' "$REMOTE_CONFIG") --exec $(printf '%q' "$relay")"
if [ "$COMMAND" = verify ]; then
	remote+=" --router-rw $(printf '%q' "$rw") --router-ro $(printf '%q' "$ro")"
else
	remote+=" --rw $(printf '%q' "host=${rw%:*} port=${rw##*:} dbname=postgres user=postgres")"
fi
for a in "${args[@]}"; do
	remote+=" $(printf '%q' "$a")"
done
remote+=" 2>&1"

coproc REMOTE {
	# shellcheck disable=SC2029 # expanded here on purpose: the command line, quoted
	ssh -o BatchMode=yes -o ConnectTimeout=10 "admin@$bastion" "$remote"
}
exec {to_remote}>&"${REMOTE[1]}" {from_remote}<&"${REMOTE[0]}"
# shellcheck disable=SC2153 # set by coproc
remote_pid=$REMOTE_PID
while IFS= read -r line <&"$from_remote"; do
	case "$line" in
	"pgha-chaos-relay "*)
		if act "$line"; then
			echo ok >&"$to_remote"
		else
			note "the action failed"
			echo failed >&"$to_remote"
		fi
		;;
	"pgha "* | *" pgha WARNING"* | *" pgha ERROR"*) printf '%s\n' "$line" >&2 ;;
	*) printf '%s\n' "$line" ;;
	esac
done
rc=0
wait "$remote_pid" || rc=$?
exit "$rc"
