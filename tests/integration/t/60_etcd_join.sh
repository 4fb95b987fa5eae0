#!/bin/bash
# 60_etcd_join.sh: deploy/etcd/pgha-etcd-join against real etcd members.
#
# An etcd host's boot script (deploy/aws) runs pgha-etcd-join before etcd's first
# start, to choose between bootstrapping a new cluster and joining the running one. A
# wrong choice either splits the DCS (a `new` cluster next to the old one) or leaves a
# replaced host out for ever. Three members on loopback, each with its own env file as
# /etc/default/etcd would be; checked, in order:
#   first boot: two members decide at once, nobody runs yet: `new`, and they form the
#   cluster; the third boots late: it is listed but never started: `existing`, it joins
#   and serves the data; a member with data restarts untouched; a replaced member (data
#   gone, same name and address) is removed and added again, joins `existing`, serves
#   the data, and the cluster has three healthy members; with only one other member
#   left (no quorum) a replaced member refuses to decide and leaves its file alone.
# Every etcd started here is stopped by pid; the temp directory is removed.
# Ports: 32600-32639.
# shellcheck disable=SC2317 # cleanup and the wait_for predicates are called indirectly
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

JOIN=$LIB_TOP/deploy/etcd/pgha-etcd-join
BASE=${BASE:-32600}
T=$(mktemp -d /tmp/pgha-etcd-join.XXXXXX)
declare -A PID=()

cleanup() {
	local i
	for i in "${!PID[@]}"; do
		kill -KILL "${PID[$i]}" 2>/dev/null
		wait "${PID[$i]}" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

client() { echo "http://127.0.0.1:$((BASE + 10 * $1))"; }
peer() { echo "http://127.0.0.1:$((BASE + 10 * $1 + 1))"; }
ctl() { ETCDCTL_API=3 etcdctl --dial-timeout=2s --command-timeout=5s "$@"; }

# env_file I: what the boot script writes to /etc/default/etcd of member I.
env_file() {
	cat >"$T/e$1.env" <<-EOF
		ETCD_NAME=e$1
		ETCD_DATA_DIR=$T/e$1
		ETCD_LISTEN_PEER_URLS=$(peer "$1")
		ETCD_LISTEN_CLIENT_URLS=$(client "$1")
		ETCD_INITIAL_ADVERTISE_PEER_URLS=$(peer "$1")
		ETCD_ADVERTISE_CLIENT_URLS=$(client "$1")
		ETCD_INITIAL_CLUSTER=e1=$(peer 1),e2=$(peer 2),e3=$(peer 3)
		ETCD_INITIAL_CLUSTER_STATE=new
		ETCD_INITIAL_CLUSTER_TOKEN=pgha-join-test
		ETCD_HEARTBEAT_INTERVAL=100
		ETCD_ELECTION_TIMEOUT=1000
	EOF
}

# start I: etcd with member I's env file, as Debian's etcd.service does.
start() {
	(
		set -a
		# shellcheck source=/dev/null
		. "$T/e$1.env"
		set +a
		exec etcd
	) >>"$T/e$1.log" 2>&1 &
	PID[$1]=$!
}

kill_member() {
	kill -KILL "${PID[$1]}" 2>/dev/null
	wait "${PID[$1]}" 2>/dev/null
	unset "PID[$1]"
}

join() { # join I [ARGS]: pgha-etcd-join for member I; output in $T/join-I.out
	local i=$1
	shift
	bash "$JOIN" --env "$T/e$i.env" "$@" >"$T/join-$i.out" 2>&1
}

state_of() { sed -n 's/^ETCD_INITIAL_CLUSTER_STATE=//p' "$T/e$1.env" | tail -n 1; }
healthy() { ctl --endpoints="$(client "$1")" endpoint health; }
# local_get I KEY: a serializable read answered by member I from its own data.
local_get() { ctl --endpoints="$(client "$1")" get "$2" --print-value-only --consistency=s; }
started_members() { ctl --endpoints="$(client 1)" member list | grep -c ', started, '; }

# --- first boot ---------------------------------------------------------------------------
for i in 1 2 3; do env_file "$i"; done
join 1 --wait 4 &
j1=$!
join 2 --wait 4
rc2=$?
wait $j1
rc1=$?
is "$rc1/$rc2/$(state_of 1)/$(state_of 2)" "0/0/new/new" \
	"first boot, nobody runs yet: e1 and e2 bootstrap a new cluster"
start 1
start 2
wait_for 20 healthy 1 || bail "e1 and e2 did not form a cluster: $(tail -5 "$T/e1.log")"
ctl --endpoints="$(client 1)" put pgha-key before-e3 >/dev/null || bail "cannot write"

join 3 --wait 10
is "$?/$(state_of 3)" "0/existing" "a late member of the first boot joins the running cluster"
like "$(cat "$T/join-3.out")" "has not started yet" "  because the cluster lists it as never started"
start 3
wait_for 20 healthy 3
ok $? "e3 joins and is healthy"
wait_for 10 local_get 3 pgha-key
is "$(local_get 3 pgha-key)" "before-e3" "e3 serves the data written before it joined"

# --- restart with data --------------------------------------------------------------------
cp "$T/e1.env" "$T/e1.env.before"
join 1 --wait 2
is "$?" "0" "a member with data: nothing to decide"
cmp -s "$T/e1.env" "$T/e1.env.before"
ok $? "  and its env file is left as it was"

# --- a replaced host ------------------------------------------------------------------------
old_id=$(ctl --endpoints="$(client 1)" member list | awk -F', ' '$3 == "e3" { print $1 }')
kill_member 3
rm -rf "$T/e3"
env_file 3 # a new host: the boot script writes the same file again
ctl --endpoints="$(client 1)" put pgha-key while-e3-gone >/dev/null
join 3 --wait 20
is "$?/$(state_of 3)" "0/existing" "a replaced member (no data, same name) joins the running cluster"
like "$(cat "$T/join-3.out")" "a replaced host; removing the old member" \
	"  after removing its former incarnation"
start 3
wait_for 20 healthy 3
ok $? "the replaced e3 is healthy"
wait_for 10 local_get 3 pgha-key
is "$(local_get 3 pgha-key)" "while-e3-gone" "it serves the data written while it was gone"
new_id=$(ctl --endpoints="$(client 1)" member list | awk -F', ' '$3 == "e3" { print $1 }')
ok "$([ -n "$new_id" ] && [ "$new_id" != "$old_id" ] && echo 0 || echo 1)" \
	"e3 is a new member ($old_id -> $new_id)"
wait_for 10 test "$(started_members)" = 3
is "$(started_members)" "3" "the cluster has three started members"

# --- no quorum: refuse ------------------------------------------------------------------------
kill_member 2
kill_member 3
rm -rf "$T/e3"
env_file 3
cp "$T/e3.env" "$T/e3.env.before"
join 3 --wait 4
rc=$?
is "$rc" "1" "with one other member left (no quorum) a replaced member refuses to decide"
like "$(cat "$T/join-3.out")" "quorum" "  and says why"
cmp -s "$T/e3.env" "$T/e3.env.before"
ok $? "  its env file is left as it was (no new cluster)"

done_testing
