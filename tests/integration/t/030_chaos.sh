#!/bin/bash
# 030_chaos.sh: `pgha chaos` against a real lab: every scenario (kill-primary,
# crash-postgres, kill-agent, freeze-primary, switchover) back to back in one lab, each
# with exit 0, no acknowledged write lost, writes acknowledged, the victim back in the
# cluster, a bounded downtime and (except crash-postgres, which may restart in place) a
# new leader, and pgbackrest check passing (archiving goes on from whichever node is
# primary); then bad input: an unknown scenario and a directory that is not a lab.
#
# Ports 31000-31099 (base port 31000).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=31000

# field JSON EXPR: a value of chaos's JSON object (python expression on `j`).
field() { printf '%s' "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }

lab_start "$BASE"

for scenario in kill-primary crash-postgres kill-agent freeze-primary switchover; do
	out=$("$PGHA" chaos --dir "$LAB_DIR" --scenario "$scenario" --json 2>"$LAB_TMP/chaos.err")
	rc=$?
	is "$rc" 0 "$scenario: exit 0"
	if [ "$rc" -ne 0 ]; then
		diag "$(cat "$LAB_TMP/chaos.err")"
		diag "$out"
	fi
	if [ -z "$out" ]; then
		bail "$scenario: no JSON output"
	fi
	victim=$(field "$out" "j['victim']")
	is "$(field "$out" "j['lost_acked']")" 0 "$scenario: no acknowledged write lost"
	is "$(field "$out" "j['acked'] > 0")" True "$scenario: writes were acknowledged"
	is "$(field "$out" "j['rejoined']")" True "$scenario: $victim is back, the cluster healed"
	is "$(field "$out" "j['split_brain']")" False "$scenario: never two writable primaries"
	is "$(field "$out" "j['downtime_s'] is not None and j['downtime_s'] < 30")" True \
		"$scenario: downtime under 30 s ($(field "$out" "j['downtime_s']") s)"
	if [ "$scenario" = switchover ]; then
		# The writer's session on the old primary ends; its reconnects are held, not refused.
		is "$(field "$out" "j['connect_errors']")" 0 "switchover: no new connection failed"
	fi
	if [ "$scenario" != crash-postgres ]; then
		isnt_leader=$(field "$out" "j['new_leader'] != j['victim']")
		is "$isnt_leader" True "$scenario: a new leader ($(field "$out" "j['new_leader']"))"
		is "$(field "$out" "j['leader_changes']")" 1 "$scenario: one leader change counted"
	fi
	diag "$scenario: $(field "$out" "'downtime %.2f s, healed in %s s, acked %d' % (j['downtime_s'] or -1, j['rejoin_s'], j['acked'])")"
	# chaos's heal is its victim streaming again; the other replica may still be moving
	# to the new leader for a moment.
	healthy=$(wait_for 20 lab_healthy && echo yes || echo no)
	is "$healthy" yes "$scenario: pgha list agrees: healthy (within 20 s)"
	[ "$healthy" = yes ] || diag "$("$PGHA" list --dir "$LAB_DIR" 2>&1)"
	# WAL archiving (pgBackRest, on in a lab) went on from the new primary: no gap.
	check=$("$PGHA" backup check --dir "$LAB_DIR" --timeout 120 2>&1)
	rc=$?
	ok "$rc" "$scenario: pgbackrest check passes"
	[ "$rc" -eq 0 ] || diag "$check"
done

# Bad input.
err=$("$PGHA" chaos --dir "$LAB_DIR" --scenario kill-everything 2>&1)
is "$?" 2 "unknown scenario: exit 2"
like "$err" "unknown scenario 'kill-everything'" "unknown scenario: says so"
mkdir -p "$LAB_TMP/notalab"
err=$("$PGHA" chaos --dir "$LAB_TMP/notalab" --scenario kill-primary 2>&1)
is "$?" 2 "not a lab: exit 2"
like "$err" "not a usable pgha lab.*cluster.json" "not a lab: says why"
lab_down --timeout 20 >/dev/null 2>&1
is "$(lab_leftovers)" "" "pgha down: no nftables table, no cgroup left"

done_testing
