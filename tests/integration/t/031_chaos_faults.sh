#!/bin/bash
# 031_chaos_faults.sh: the etcd and network faults of `pgha chaos` against a real lab,
# back to back in one lab, with short faults (the figures come from make
# bench-failover): etcd-leader-stall, etcd-quorum-loss, partition-primary-etcd and
# partition-primary. Each must keep what users rely on, whatever the cluster chose to
# do (ride it out, or fail over): exit 0, no acknowledged write lost, never two
# writable primaries, the cluster healed with every node back, pgbackrest check passing
# (WAL archiving goes on from whichever node is primary), and, for
# partition-primary, no commit acknowledged by the cut-off primary after the cut and
# the writer on the new leader before the heal (the router closes its sessions on the
# cut-off node).
# Then: a partition is refused, with nothing injected, when a process of the lab is
# not in its cgroup or chaos is not root; SIGINT in the middle of a partition heals it
# (exit 130); and after pgha down no nftables table or cgroup of the lab remains.
#
# Ports 31100-31199 (base port 31100). Needs root (nftables, cgroups): CI runs as root.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=31100

# field JSON EXPR: a value of chaos's JSON object (python expression on `j`).
field() { printf '%s' "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }

[ "$(id -u)" -eq 0 ] || bail "needs root: nftables rules and the lab's cgroups"
command -v nft >/dev/null 2>&1 || bail "needs nft (make deps installs nftables)"

lab_start "$BASE"
# pgha up started every process in a cgroup of its own
root=$(cgroup2_root)
is "$(sed -n 's/^0:://p' "/proc/$(lab_agent_pid node1)/cgroup")" "/pgha-$BASE/node1" \
	"node1's agent runs in its cgroup"
is "$(sed -n 's/^0:://p' "/proc/$(head -n 1 "$LAB_DIR/run/etcd2.pid")/cgroup")" \
	"/pgha-$BASE/etcd/etcd2" "etcd2 runs in its cgroup"

# run_scenario NAME ARGS...: one run, its JSON checked for what every scenario keeps.
run_scenario() {
	local scenario=$1 out rc
	shift
	out=$("$PGHA" chaos --dir "$LAB_DIR" --scenario "$scenario" --json "$@" 2>"$LAB_TMP/chaos.err")
	rc=$?
	is "$rc" 0 "$scenario: exit 0"
	if [ "$rc" -ne 0 ] || [ -z "$out" ]; then
		diag "$(grep -v WARNING "$LAB_TMP/chaos.err" | tail -n 20)"
		diag "$out"
	fi
	[ -n "$out" ] || bail "$scenario: no JSON output"
	is "$(field "$out" "j['lost_acked']")" 0 "$scenario: no acknowledged write lost"
	is "$(field "$out" "j['acked'] > 0")" True "$scenario: writes were acknowledged"
	is "$(field "$out" "j['split_brain']")" False "$scenario: never two writable primaries"
	is "$(field "$out" "j['rejoined']")" True "$scenario: $(field "$out" "j['victim']") is back, the cluster healed"
	is "$(field "$out" "isinstance(j['leader_changes'], int)")" True "$scenario: leader changes counted"
	is "$(lab_leftovers | grep -c nftables)" 0 "$scenario: no nftables table left"
	# chaos's heal is its victim streaming again; the other replica may still be moving
	# to the new leader for a moment.
	healthy=$(wait_for 20 lab_healthy && echo yes || echo no)
	is "$healthy" yes "$scenario: pgha list agrees: healthy (within 20 s)"
	[ "$healthy" = yes ] || diag "$("$PGHA" list --dir "$LAB_DIR" 2>&1)"
	check=$("$PGHA" backup check --dir "$LAB_DIR" --timeout 120 2>&1)
	rc=$?
	ok "$rc" "$scenario: pgbackrest check passes (archiving goes on, no gap)"
	[ "$rc" -eq 0 ] || diag "$check"
	diag "$scenario: $(field "$out" "'pause %s s, %d leader change(s), failsafe %.1f s, %s' % (j['downtime_s'], j['leader_changes'], j['failsafe_s'], j['timeline'][0]['event'])")"
	OUT=$out
}

run_scenario etcd-leader-stall --duration 3
is "$(field "$OUT" "len(j['etcd_victims'].split())")" 1 "etcd-leader-stall: one etcd member stopped"
is "$(field "$OUT" "j['fault_s']")" 3.0 "etcd-leader-stall: for --duration"

run_scenario etcd-quorum-loss --duration 4
is "$(field "$OUT" "len(j['etcd_victims'].split())")" 2 "etcd-quorum-loss: two etcd members stopped"

run_scenario partition-primary-etcd --duration 4
like "$(field "$OUT" "j['timeline'][0]['event']")" "cut from every etcd member" \
	"partition-primary-etcd: the primary's agent cut from etcd"

# Long enough for a failover inside the cut (about 3 s here): the writer, whose session
# through the router sat on the cut-off primary, is closed by the router and writes to
# the new leader while the cut lasts, instead of hanging until the heal.
run_scenario partition-primary --duration 8
is "$(field "$OUT" "j['isolated_primary_acks']")" 0 \
	"partition-primary: the cut-off primary acknowledged nothing sent after the cut"
is "$(field "$OUT" "[e['t'] for e in j['timeline'] if e['event'] == 'first acknowledged write'][0] < [e['t'] for e in j['timeline'] if e['event'].startswith('cut healed')][0]")" \
	True "partition-primary: writes go to the new leader before the cut is healed"

# Refused, with nothing injected, when a process of the lab is not in its cgroup.
leader=$(lab_leader)
router=$(head -n 1 "$LAB_DIR/run/router.pid")
echo "$router" >"$root/cgroup.procs"
err=$("$PGHA" chaos --dir "$LAB_DIR" --scenario partition-primary 2>&1)
is "$?" 2 "router outside its cgroup: exit 2"
like "$err" "router \\(pid $router\\) is not in cgroup /pgha-$BASE/router" "... and says why"
echo "$router" >"$root/pgha-$BASE/router/cgroup.procs"
is "$(lab_leader)" "$leader" "... and touched nothing (same leader)"
is "$(lab_leftovers | grep -c nftables)" 0 "... no nftables table"
# ... and when it cannot use nftables (not root; the lab's copy of pgha, which that user
# reaches wherever the checkout is)
err=$(runuser -u postgres -- "$(lab_pgha)" chaos --dir "$LAB_DIR" --scenario partition-primary-etcd 2>&1)
is "$?" 2 "not root: exit 2"
like "$err" "nftables rules need root" "not root: says why"

# SIGINT in the middle of a partition: healed, reported, exit 130.
"$PGHA" chaos --dir "$LAB_DIR" --scenario partition-primary-etcd --duration 60 --json \
	>"$LAB_TMP/int.json" 2>"$LAB_TMP/int.err" &
chaos=$!
wait_for 60 nft list table inet "pgha_chaos_$BASE" || diag "the cut never appeared"
sleep 1
kill -INT "$chaos"
wait "$chaos"
is "$?" 130 "SIGINT during a partition: exit 130"
is "$(lab_leftovers | grep -c nftables)" 0 "SIGINT: the cut is healed"
is "$(field "$(cat "$LAB_TMP/int.json")" "j['interrupted'] and j['lost_acked'] == 0")" True \
	"SIGINT: reported as interrupted, nothing lost"
wait_for 120 lab_healthy
is "$?" 0 "SIGINT: the cluster heals"

# pgha down leaves nothing of the lab behind.
lab_down --timeout 20 >/dev/null 2>&1
is "$(lab_leftovers)" "" "pgha down: no nftables table, no cgroup left"

done_testing
