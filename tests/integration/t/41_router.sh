#!/bin/bash
# 41_router.sh: `pgha router` against real etcd, PostgreSQL and PgBouncer.
#
# Builds a three-member cluster by hand (no agent): one primary and two streaming
# replicas, each behind its own PgBouncer, with tiny fake REST APIs (a Python script)
# answering /primary and /replica from a role file the test controls, and Patroni-
# format keys the test writes into a real etcd. That makes failover, switchover and
# hold behaviour deterministic. Scenarios (TAP output):
#   routing (RW -> primary, RO -> both replicas), /health and /metrics, hold queue
#   (dispatch and timeout), failover (sessions to the old primary closed, new RW
#   sessions to the new one), planned switchover under a write load (no error, no
#   lost write), and leader flapping.
# Every process is started here and stopped by pid; the temp directory is removed.
# Ports: 32400-32499.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/tests/integration/t/router_lib.bash"

rt_setup_cluster 3 || bail "cluster setup failed"
rt_start_router hold_timeout=5 || bail "router did not start"

# --- routing ------------------------------------------------------------------------
rt_wait 10 rt_rw_ok || diag "router log: $(tail -5 "$RT_DIR/router.log")"
is "$(rt_sql "$RT_RW" 'select pg_is_in_recovery()')" "f" "RW port reaches a primary"
is "$(rt_sql "$RT_RW" 'select inet_server_port()')" "$(rt_pg_port 1)" "RW port reaches n1 (leader)"
rt_wait 10 rt_ro_count_is 2
is "$(rt_sql "$RT_RO" 'select pg_is_in_recovery()')" "t" "RO port reaches a replica"
ports=""
for i in 1 2 3 4 5 6; do ports="$ports $(rt_sql "$RT_RO" 'select inet_server_port()')"; done
seen=$(echo $ports | tr ' ' '\n' | sort -u | tr '\n' ' ')
is "$seen" "$(rt_pg_port 2) $(rt_pg_port 3) " "repeated RO connections reach both replicas"

# --- HTTP endpoint ----------------------------------------------------------------------
code=$(curl -s -o "$RT_DIR/health.json" -w '%{http_code}' "http://127.0.0.1:$RT_HTTP/health")
is "$code" "200" "/health answers 200 with a read-write target"
like "$(cat "$RT_DIR/health.json")" '"leader":"n1"' "/health names the leader"
metrics=$(curl -s "http://127.0.0.1:$RT_HTTP/metrics")
like "$metrics" 'pgha_router_accepted_total{listener="ro"} [1-9]' "/metrics counts RO connections"
like "$metrics" 'pgha_router_target_up{target="n1",addr="127.0.0.1:'"$(rt_bouncer_port 1)"'",listener="rw"} 1' \
	"/metrics shows n1 up for RW through its pooler"
like "$metrics" 'pgha_router_bytes_in_total{listener="rw"} [1-9]' "/metrics counts bytes"

# --- a vanished key while the primary still says so: kept (etcd trouble must not cut writes)
rt_etcd del "$RT_PREFIX/leader" >/dev/null
sleep 1.5
is "$(rt_sql "$RT_RW" 'select inet_server_port()')" "$(rt_pg_port 1)" \
	"the last leader keeps its RW clients while the key is gone and its /primary answers 200"

# --- hold queue -------------------------------------------------------------------------
rt_role 1 down # the primary no longer says so: it lost the lead
rt_wait 5 rt_rw_down
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RT_HTTP/health")
is "$code" "503" "/health answers 503 without a leader"
start=$(date +%s%N)
rt_sql "$RT_RW" 'select pg_is_in_recovery()' >"$RT_DIR/held.out" 2>&1 &
held_pid=$!
sleep 1.5
ok "$(kill -0 $held_pid 2>/dev/null && echo 1)" "a RW client is held while there is no leader"
rt_role 1 primary
rt_etcd put "$RT_PREFIX/leader" n1 >/dev/null
wait $held_pid
held_rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is "$held_rc/$(cat "$RT_DIR/held.out")" "0/f" "the held client is forwarded once the leader is back (${ms} ms)"
rt_role 1 down
rt_etcd del "$RT_PREFIX/leader" >/dev/null
rt_wait 5 rt_rw_down
start=$(date +%s)
rt_sql "$RT_RW" 'select 1' >/dev/null 2>&1
rc=$?
secs=$(($(date +%s) - start))
ok "$([ $rc -ne 0 ] && [ $secs -ge 4 ] && [ $secs -le 8 ] && echo 1)" \
	"a held client is closed after hold_timeout (rc $rc after ${secs}s)"
like "$(curl -s "http://127.0.0.1:$RT_HTTP/metrics")" 'pgha_router_hold_timeouts_total{listener="rw"} 1' \
	"/metrics counts the hold timeout"
rt_role 1 primary
rt_etcd put "$RT_PREFIX/leader" n1 >/dev/null
rt_wait 5 rt_rw_ok

# --- failover ----------------------------------------------------------------------------
# n1 stays up (as behind a partition) while n2 is promoted and takes the key: the router
# must cut n1's sessions itself.
rt_sql "$RT_RW" 'select pg_sleep(60)' >/dev/null 2>&1 &
long_pid=$!
rt_sql "$RT_RO" 'select pg_sleep(60)' >/dev/null 2>&1 &
ro_a=$!
rt_sql "$RT_RO" 'select pg_sleep(60)' >/dev/null 2>&1 &
ro_b=$!
rt_wait 5 rt_rw_sessions_are 1 n1
rt_wait 5 rt_ro_sessions_are 1 n2
rt_wait 5 rt_ro_sessions_are 1 n3
rt_pg_promote 2
rt_role 2 primary
rt_role 1 down
start=$(date +%s%N)
rt_etcd put "$RT_PREFIX/leader" n2 >/dev/null
rt_wait 5 rt_pid_gone $long_pid
ms=$((($(date +%s%N) - start) / 1000000))
ok "$(rt_pid_gone $long_pid && [ $ms -lt 2000 ] && echo 1)" \
	"the session to the old primary is closed at the leader change (${ms} ms)"
like "$(curl -s "http://127.0.0.1:$RT_HTTP/metrics")" 'pgha_router_fenced_total\{listener="rw"\} 1' \
	"/metrics counts the fenced session"
rt_wait 5 rt_ro_sessions_are 0 n2
ok "$(rt_ro_sessions_are 0 n2 && rt_ro_sessions_are 1 n3 && echo 1)" \
	"the new leader's read-only session is closed, the other replica's is not"
gone=0
rt_pid_gone $ro_a && gone=$((gone + 1))
rt_pid_gone $ro_b && gone=$((gone + 1))
is "$gone" "1" "exactly one RO client lost its session"
kill $ro_a $ro_b 2>/dev/null
rt_pg_stop 1 immediate
is "$(rt_sql "$RT_RW" 'select inet_server_port()')" "$(rt_pg_port 2)" "new RW connections reach the new primary"
ms=$((($(date +%s%N) - start) / 1000000))
diag "leader change to first RW query on the new primary: ${ms} ms"
is "$(rt_sql "$RT_RW" 'select pg_is_in_recovery()')" "f" "and it is writable"
rt_wait 5 rt_ro_count_is 1
is "$(rt_sql "$RT_RO" 'select inet_server_port()')" "$(rt_pg_port 3)" "RO now only reaches the remaining replica"

# --- planned switchover under a write load --------------------------------------------------
rt_sql "$RT_RW" 'create table t (id int primary key)' >/dev/null
rt_pg_repoint 3 2 # n3 follows n2 (the new primary)
rt_writer_start "$RT_RW" "$RT_DIR/acked"
sleep 1
rt_switchover 2 3
sleep 1
rt_writer_stop
acked=$(wc -l <"$RT_DIR/acked")
errors=$(cat "$RT_DIR/acked.errors")
is "$errors" "0" "no client error during the switchover ($acked writes acknowledged)"
ok "$([ "$acked" -gt 20 ] && echo 1)" "the writer kept writing through the switchover"
present=$(rt_sql "$RT_RW" 'select count(*) from t')
is "$present" "$acked" "every acknowledged write is on the new primary"
is "$(rt_sql "$RT_RW" 'select inet_server_port()')" "$(rt_pg_port 3)" "RW follows to n3"
held_total=$(curl -s "http://127.0.0.1:$RT_HTTP/metrics" | sed -n 's/^pgha_router_held_total{listener="rw"} //p')
ok "$([ "${held_total:-0}" -gt 2 ] && echo 1)" "clients were held during the switchover (held_total=$held_total)"

# --- router stays healthy ------------------------------------------------------------------------
ok "$(kill -0 "$RT_ROUTER_PID" 2>/dev/null && echo 1)" "the router is still running"
rt_stop_router
is "$RT_ROUTER_RC" "0" "the router stops cleanly on SIGTERM"
done_testing
