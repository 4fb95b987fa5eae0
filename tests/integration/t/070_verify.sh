#!/bin/bash
# 070_verify.sh: `pgha verify` against a real lab: all nine checks pass (etcd quorum,
# primary election, streaming replication, health endpoints, the router's read-write
# and read-only ports, a real failover, zero data loss, the old primary rejoining,
# PgBouncer on every node), in the table and in --json, exit 0; a cluster that fails
# a check (a replica down) fails verification, exit 1, without its primary being lost.
#
# Ports 31300-31399 (base port 31300).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=31300

field() { printf '%s' "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }

lab_start "$BASE"

leader=$(lab_leader)
out=$("$PGHA" verify --dir "$LAB_DIR" 2>"$LAB_TMP/verify.err")
is "$?" 0 "verify: exit 0"
printf '%s\n' "$out" | sed 's/^/# /'
is "$(printf '%s\n' "$out" | grep -c '^[1-9]  PASS  ')" 9 "verify: nine rows, each PASS"
like "$out" "9 of 9 checks passed" "verify: says the cluster passed"
like "$out" "automatic failover +[0-9.]+ s  $leader's host lost: node[0-9] leads" \
	"verify: the failover was real ($leader lost)"
isnt=$(lab_leader)
is "$([ "$isnt" != "$leader" ] && echo moved)" moved "verify: another node leads afterwards ($isnt)"
is "$(lab_healthy >/dev/null 2>&1 && echo yes || echo no)" yes "verify: the cluster is healthy afterwards"

json=$("$PGHA" verify --dir "$LAB_DIR" --json 2>"$LAB_TMP/verify.err")
is "$?" 0 "verify --json: exit 0"
is "$(field "$json" "(j['passed'], j['passed_checks'], len(j['checks']))")" "(True, 9, 9)" \
	"verify --json: passed, 9 of 9"
is "$(field "$json" "','.join(c['name'] for c in j['checks'])")" \
	"etcd quorum,primary election,streaming replication,health endpoints,read-write/read-only ports,automatic failover,zero data loss,old primary rejoins,PgBouncer on every node" \
	"verify --json: the nine checks, in order"
is "$(field "$json" "all(c['status'] == 'PASS' for c in j['checks'])")" True "verify --json: all PASS"

# A replica down: verification fails, and the primary is left alone.
leader=$(lab_leader)
replica=$(lab_replicas | head -n 1)
kill -KILL "$(lab_agent_pid "$replica")"
out=$("$PGHA" verify --dir "$LAB_DIR" 2>"$LAB_TMP/verify.err")
is "$?" 1 "a replica down: exit 1"
like "$out" "streaming replication .*$replica" "a replica down: replication fails, naming $replica"
like "$out" "automatic failover .*not run" "a replica down: no failover attempted"
is "$(lab_leader)" "$leader" "a replica down: the leader is left alone"
lab_up >/dev/null 2>&1
wait_for 120 lab_healthy
is "$?" 0 "the replica back: healthy"

lab_down --timeout 20 >/dev/null 2>&1
is "$(lab_leftovers)" "" "pgha down: nothing left behind"

done_testing
