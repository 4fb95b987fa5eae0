#!/bin/bash
# 035_etcd_failsafe.sh: etcd's own trouble never costs the primary, on a default lab
# (etcd at heartbeat 50 ms / election 500 ms with pre-vote; failsafe_mode on), under a
# write load through the router:
#   - failsafe_mode is on, the failsafe key lists every member (pgha list --json, GET
#     /failsafe, Patroni's format);
#   - etcd's raft leader SIGSTOPped for 6 s: the hedged renewals reach the new raft
#     leader in time: no leader change, no fencing, no write lost;
#   - two of three etcd members (the raft leader and a follower) SIGSTOPped for 10 s:
#     the primary keeps taking writes (every member confirms it over POST /failsafe),
#     never two writable primaries, the same leader afterwards (etcd returns with every
#     lease revoked; the primary takes its key back), no write lost.
# The write pauses are printed, never asserted (make bench-failover measures them).
# Stopped etcd members are always resumed, whatever happens (the EXIT trap).
#
# Ports 33200-33299 (base port 33200).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=33200
STOPPED=""

lab_start "$BASE"
# Stopped etcd members go on before pgha down (which would wait for them).
trap 'rc=$?; [ -n "$STOPPED" ] && kill -CONT $STOPPED 2>/dev/null; (exit $rc); lab_cleanup' EXIT

# etcd_status_json: `etcdctl endpoint status -w json` of the lab's members.
etcd_status_json() { lab_etcdctl endpoint status -w json; }

# etcd_leader_index: 1, 2 or 3: the lab's etcd member that is the raft leader.
etcd_leader_index() {
	etcd_status_json | python3 -c '
import json, sys
urls = json.load(open(sys.argv[1]))["etcd"]
for s in json.load(sys.stdin):
    st = s["Status"]
    if st["leader"] == st["header"]["member_id"]:
        print(urls.index(s["Endpoint"]) + 1)
' "$LAB_DIR/cluster.json"
}

etcd_pid() { head -n 1 "$LAB_DIR/run/etcd$1.pid"; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# writer: one insert per connection through the router; "id ms" per acknowledged one.
writer() {
	local i=0
	while [ ! -e "$LAB_TMP/stop" ]; do
		i=$((i + 1))
		if lab_psql rw "insert into w(id) values ($i)" >/dev/null 2>>"$LAB_TMP/writer.err"; then
			echo "$i $(now_ms)" >>"$LAB_TMP/acked"
		fi
	done
}

# primaries: "ms n" every round: how many nodes answer as a writable primary.
primaries() {
	local n node
	while [ ! -e "$LAB_TMP/stop" ]; do
		n=0
		for node in node1 node2 node3; do
			[ "$(lab_psql "$node" 'select pg_is_in_recovery()' 2>/dev/null)" = f ] && n=$((n + 1))
		done
		echo "$(now_ms) $n" >>"$LAB_TMP/primaries"
		sleep 0.1
	done
}

# acked_between FROM TO: acknowledged writes whose ack came in [FROM, TO) ms.
acked_between() { awk -v a="$1" -v b="$2" '$2 >= a && $2 < b' "$LAB_TMP/acked" | wc -l; }

# worst_gap FROM TO: the longest time without an ack that overlaps [FROM, TO), in ms.
worst_gap() {
	awk -v a="$1" -v b="$2" 'NR > 1 && $2 >= a && prev < b { g = $2 - prev; if (g > w) w = g }
		{ prev = $2 } END { print w + 0 }' "$LAB_TMP/acked"
}

fencings() { grep -h -c "fencing:" "$LAB_DIR"/logs/node*.log | awk '{ s += $1 } END { print s + 0 }'; }

# --- failsafe_mode as a lab has it ------------------------------------------------------

fs_members() { list_json "','.join(sorted(j['failsafe']['members']))"; }
fs_complete() { [ "$(fs_members)" = node1,node2,node3 ]; }

leader=$(lab_leader)
is "$(list_json "j['failsafe']['mode']")" True "failsafe_mode is on in a lab"
wait_for 10 fs_complete
is "$(fs_members)" node1,node2,node3 "the failsafe key lists every member"
failsafe=$(lab_curl "$(lab_api node2)/failsafe")
is "$(printf '%s' "$failsafe" | python3 -c "import json,sys; print(sorted(json.load(sys.stdin)))")" \
	"['node1', 'node2', 'node3']" "GET /failsafe: Patroni's {name: api_url} object"

lab_psql rw "create table w(id int primary key)" || bail "cannot create the table"
writer &
WRITER=$!
primaries &
SAMPLER=$!
sleep 3
fenced_before=$(fencings)

# --- the raft leader stalls -------------------------------------------------------------

k=$(etcd_leader_index)
[ -n "$k" ] || bail "no etcd raft leader found"
STOPPED=$(etcd_pid "$k")
t0=$(now_ms)
kill -STOP "$STOPPED"
sleep 6
kill -CONT "$STOPPED"
STOPPED=""
t1=$(now_ms)
sleep 4
is "$(lab_leader)" "$leader" "etcd leader stall: no leader change"
is "$(fencings)" "$fenced_before" "etcd leader stall: the primary never fenced"
ok "$([ "$(acked_between "$t0" "$t1")" -gt 0 ]; echo $?)" \
	"etcd leader stall: writes acknowledged during the stall"
diag "etcd leader stall (etcd$k, 6 s): $(acked_between "$t0" "$t1") writes acknowledged during it, worst write pause $(worst_gap "$t0" "$t1") ms"

# --- quorum lost: the raft leader and a follower ------------------------------------------

k=$(etcd_leader_index)
[ -n "$k" ] || bail "no etcd raft leader found"
STOPPED="$(etcd_pid "$k") $(etcd_pid $((k % 3 + 1)))"
t0=$(now_ms)
# shellcheck disable=SC2086 # two pids
kill -STOP $STOPPED
sleep 10
# shellcheck disable=SC2086
kill -CONT $STOPPED
STOPPED=""
t1=$(now_ms)
wait_for 20 lab_healthy
is "$(lab_leader)" "$leader" "etcd quorum loss: the same leader afterwards"
is "$(fencings)" "$fenced_before" "etcd quorum loss: the primary never fenced"
ok "$([ "$(acked_between $((t0 + 3000)) "$t1")" -gt 0 ]; echo $?)" \
	"etcd quorum loss: the primary kept taking writes (failsafe)"
is "$(awk -v a="$t0" '$1 >= a && $2 > 1' "$LAB_TMP/primaries" | wc -l)" 0 \
	"etcd quorum loss: never two writable primaries"
diag "etcd quorum loss (10 s): $(acked_between "$t0" "$t1") writes acknowledged during it, worst write pause $(worst_gap "$t0" "$t1") ms"

# --- nothing lost -------------------------------------------------------------------------

touch "$LAB_TMP/stop"
wait "$WRITER" "$SAMPLER"
lab_psql rw "select id from w" | sort -n >"$LAB_TMP/stored"
awk '{ print $1 }' "$LAB_TMP/acked" | sort -n >"$LAB_TMP/acked_ids"
is "$(comm -23 "$LAB_TMP/acked_ids" "$LAB_TMP/stored" | wc -l)" 0 \
	"no acknowledged write lost ($(wc -l <"$LAB_TMP/acked_ids") acknowledged)"
is "$(awk '$2 > 1' "$LAB_TMP/primaries" | wc -l)" 0 "never two writable primaries, all along"

done_testing
