#!/bin/bash
# 050_ops.sh: the operations commands against a running lab:
#   health (passes on a healthy lab, fails naming the check when a replica's agent stops),
#   edit-config / show-config (--set, --apply, refusals; the agents apply the change),
#   pause / resume (the flag in patronictl list and every /patroni), restart (postmaster
#   start time changes), reinit (streams again, old data directory moved aside),
#   switchover to a named candidate (old leader rejoins; write unavailability printed;
#   monitor reports it; history records it), failover --candidate on a running cluster
#   (a switchover, as in Patroni), switchover without a candidate, then at once (while
#   the new leader has named no synchronous standby yet) one by a stock patronictl with
#   the lab's patronictl.yml and a scheduled one, and one while the leader's REST API
#   refuses connections (iptables): through the failover key in etcd, as patronictl
#   falls back to the DCS. `pgha up` returns with a synchronous standby named.
#
# Ports 36000-36099 (base port 36000).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=36000
WRITER_PID=""
MONITOR_PID=""
BLOCKED_PORT="" # a REST API port that an iptables rule of ours refuses

# Conditions polled through wait_for (shellcheck cannot see such indirect calls).
# shellcheck disable=SC2317
streams() { [ "$(lab_member_state "$1")" = streaming ]; }
# shellcheck disable=SC2317
leads_not() { [ -n "$(lab_leader)" ] && [ "$(lab_leader)" != "$1" ]; }
# shellcheck disable=SC2317
agents_logged() {
	local n
	for n in node1 node2 node3; do
		grep -q "$1" "$LAB_DIR/logs/$n.log" || return 1
	done
}
# shellcheck disable=SC2317
work_mem_is() { [ "$(lab_psql rw 'show work_mem' 2>/dev/null)" = "$1" ]; }

# api NODE PATH: GET on the node's REST API (body on stdout).
api() { lab_curl --max-time 5 "$(lab_api "$1")/$2"; }
# patroni NODE EXPR: a value of GET /patroni (python expression on `j`).
patroni() { api "$1" patroni | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }
sync_standby() { list_json "[m['name'] for m in j['members'] if m['role']=='sync_standby'][0]"; }
# shellcheck disable=SC2317
healthy_with_sync() { lab_healthy && sync_standby; }
ops() { "$PGHA" "$@" --dir "$LAB_DIR"; }

# shellcheck disable=SC2317 # called from the EXIT trap
stop_helpers() {
	local p
	for p in $WRITER_PID $MONITOR_PID; do
		pid_alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	WRITER_PID=""
	MONITOR_PID=""
}
# block_api PORT / unblock_api: connections to PORT on loopback refused (TCP reset), and
# that rule removed again.
block_api() {
	iptables -w -I INPUT -i lo -p tcp --dport "$1" -j REJECT --reject-with tcp-reset &&
		BLOCKED_PORT=$1
}
# shellcheck disable=SC2317 # also called from the EXIT trap
unblock_api() {
	[ -n "$BLOCKED_PORT" ] || return 0
	iptables -w -D INPUT -i lo -p tcp --dport "$BLOCKED_PORT" -j REJECT --reject-with tcp-reset
	BLOCKED_PORT=""
}

# lab_cleanup (lib.sh) stops the lab; the writer and the monitor go first, by pid.
# shellcheck disable=SC2317 # the EXIT trap
cleanup_all() {
	local rc=$?
	stop_helpers
	unblock_api
	(exit "$rc")
	lab_cleanup
}

# writer FILE: one INSERT per new connection through service=rw, each outcome stamped
# (ms) into FILE, until killed. Its gaps measure the write unavailability.
writer() {
	while :; do
		if lab_psql rw "insert into ops_w default values" >/dev/null 2>&1; then
			echo "$(($(date +%s%N) / 1000000)) ok"
		else
			echo "$(($(date +%s%N) / 1000000)) fail"
		fi
	done >"$1"
}

# longest_gap FILE: the longest time (ms) between two successful writes, and failures.
longest_gap() {
	awk '$2 == "ok" { if (last && $1 - last > gap) gap = $1 - last; last = $1 }
	     $2 == "fail" { fails++ }
	     END { printf "%d ms between two successful writes, %d failed attempts", gap, fails }' "$1"
}

lab_start $BASE
trap cleanup_all EXIT
wait_for 60 lab_healthy || bail "the lab did not become healthy"
leader=$(lab_leader)
diag "leader: $leader"

is "$(list_json "len([m for m in j['members'] if m['role']=='sync_standby'])")" 1 \
	"pgha up returned once the sync key named a synchronous standby"

# --- health ---------------------------------------------------------------------------------
out=$(ops health)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "health passes on a healthy lab"
like "$out" "^PASS  etcd quorum +3/3 endpoints healthy" "health: etcd quorum"
like "$out" "PASS  leader +$leader answers /primary 200" "health: the leader answers /primary"
is "$(printf '%s\n' "$out" | grep -Ec '^PASS  replica node[0-9] ')" 2 "health: two replicas pass"
like "$out" "PASS  sync standby " "health: a synchronous standby streams"
is "$(ops health --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["healthy"], len(j["checks"]) > 5)')" \
	"True True" "health --json says healthy"

# --- edit-config / show-config --------------------------------------------------------------
like "$(ops show-config)" "^check_timeline: true" "show-config prints the configuration as YAML"
is "$(ops show-config --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["loop_wait"])')" \
	1 "show-config --json: loop_wait is 1"
out=$(ops edit-config --set loop_wait=2 </dev/null 2>&1)
is "$?" 2 "edit-config without --force and without a terminal refuses to ask"
like "$out" "add --force" "it says to add --force"
like "$out" "\+loop_wait: 2" "it showed the diff first"
out=$(ops edit-config --set ttl=soon --force 2>&1)
is "$?" 1 "edit-config refuses a value the agents would refuse"
like "$out" "not written.*ttl" "it names the bad key"
like "$(ops show-config)" "loop_wait: 1" "nothing was written"
out=$(ops edit-config --set loop_wait=2 --force 2>&1)
is "$?" 0 "edit-config --set loop_wait=2 --force"
like "$out" "Configuration changed" "it says so"
like "$(ops show-config)" "loop_wait: 2" "show-config shows loop_wait: 2"
is "$(patronictl -c "$LAB_DIR/patronictl.yml" show-config 2>/dev/null | grep '^loop_wait')" "loop_wait: 2" \
	"a stock patronictl reads the same"
wait_for 20 agents_logged "loop_wait 2 s"
ok $? "every agent applied loop_wait 2 (agent logs)"
for n in node1 node2 node3; do
	is "$(api "$n" config | python3 -c 'import json,sys; print(json.load(sys.stdin)["loop_wait"])')" \
		2 "$n's GET /config says loop_wait 2"
done
printf 'postgresql:\n  parameters:\n    work_mem: 8MB\n' >"$LAB_TMP/patch.yml"
out=$(ops edit-config --apply "$LAB_TMP/patch.yml" --force 2>&1)
is "$?" 0 "edit-config --apply FILE"
like "$out" "\+    work_mem: 8MB" "the diff shows the new parameter"
wait_for 30 work_mem_is 8MB
ok $? "the primary runs with work_mem = 8MB"
printf 'postgresql:\n  parameters:\n    work_mem: 16MB\n  use_slots: maybe\n' >"$LAB_TMP/bad.yml"
out=$(ops edit-config --apply "$LAB_TMP/bad.yml" --force 2>&1)
is "$?" 1 "edit-config --apply refuses a file with a value the agents would refuse"
like "$out" "bad.yml:4: postgresql.use_slots: expected a boolean" "naming the file's line and key"
ops edit-config --set loop_wait=1 --set postgresql.parameters.work_mem= --force -q >/dev/null
is "$?" 0 "edit-config --set KEY= removes a key (and restores loop_wait)"
is "$(ops show-config --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["loop_wait"], "parameters" in j["postgresql"])')" \
	"1 False" "loop_wait is 1 again and the emptied parameters are gone"
wait_for 30 work_mem_is 4MB
ok $? "the primary is back to the default work_mem (4MB)"
# $EDITOR on a terminal (script(1) provides one): the saved YAML is what gets written
cat >"$LAB_TMP/editor.sh" <<'EOF'
#!/bin/sh
sed -i 's/^maximum_lag_on_failover: .*/maximum_lag_on_failover: 2097152/' "$1"
EOF
chmod +x "$LAB_TMP/editor.sh"
out=$(EDITOR=$LAB_TMP/editor.sh script -qec "$PGHA edit-config --dir $LAB_DIR --force" /dev/null 2>&1)
is "$?" 0 "edit-config in \$EDITOR on a terminal"
like "$out" "\+maximum_lag_on_failover: 2097152" "it shows the edit as a diff"
like "$(ops show-config)" "maximum_lag_on_failover: 2097152" "and wrote it"
ops edit-config --set maximum_lag_on_failover=1048576 --force -q >/dev/null

# --- pause / resume -------------------------------------------------------------------------
out=$(ops pause --wait 2>&1)
is "$?" 0 "pause --wait"
like "$out" "Success: cluster management is paused" "pause says so"
like "$(patronictl -c "$LAB_DIR/patronictl.yml" list 2>/dev/null)" "Maintenance mode: on" \
	"patronictl list shows the maintenance mode"
like "$(ops list)" "Maintenance mode: on" "pgha list shows it too"
is "$(ops list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pause"])')" True \
	"pgha list --json: pause is true"
for n in node1 node2 node3; do
	is "$(patroni "$n" "j.get('pause')")" True "$n's /patroni reports pause"
done
out=$(ops pause 2>&1)
is "$?" 1 "pause on a paused cluster fails"
like "$out" "already paused" "and says why"
out=$(PGHA_REST_PASSWORD=wrong "$PGHA" resume --dir "$LAB_DIR" 2>&1)
is "$?" 1 "resume with a wrong REST password fails"
like "$out" "status code=401" "with the agent's 401"
out=$("$PGHA" resume -c "$LAB_DIR/node1/agent.yml" --wait 2>&1)
is "$?" 0 "resume -c agent.yml --wait (credentials from the agent configuration)"
for n in node1 node2 node3; do
	is "$(patroni "$n" "j.get('pause')")" None "$n's /patroni no longer reports pause"
done

# --- restart / reinit -------------------------------------------------------------------------
replica=$(list_json "[m['name'] for m in j['members'] if m['role']=='replica'][0]")
before=$(patroni "$replica" "j['postmaster_start_time']")
out=$(ops restart "$replica" 2>&1 </dev/null)
is "$?" 2 "restart without --force and without a terminal refuses to ask"
is "$(patroni "$replica" "j['postmaster_start_time']")" "$before" "and did not restart"
out=$(ops restart "$replica" --force 2>&1)
is "$?" 0 "restart $replica --force"
like "$out" "Success: restart on member $replica" "restart says so"
after=$(patroni "$replica" "j['postmaster_start_time']")
ok "$([ -n "$after" ] && [ "$after" != "$before" ]; echo $?)" \
	"$replica's postmaster start time changed ($before -> $after)"
wait_for 30 streams "$replica"
ok $? "$replica streams again"
out=$(ops restart node9 --force 2>&1)
is "$?" 1 "restart of an unknown member fails"
like "$out" "node9 does not exist" "and names it"

out=$(ops reinit "$leader" --force 2>&1)
is "$?" 1 "reinit of the leader is refused"
out=$(ops reinit "$replica" --force --wait --timeout 120 2>&1)
is "$?" 0 "reinit $replica --force --wait"
printf '%s\n' "$out" | sed 's/^/# /'
like "$out" "Reinitialize is completed on: $replica" "reinit waited for it"
ok "$(ls -d "$LAB_DIR/$replica"/data.reinit.* >/dev/null 2>&1; echo $?)" \
	"the old data directory was moved aside"
wait_for 30 streams "$replica"
ok $? "$replica streams after reinit"

# --- switchover to a named candidate, under a writer and a monitor --------------------------------
lab_psql rw "create table ops_w (id bigserial primary key, at timestamptz default now())" >/dev/null
out=$(ops switchover --candidate node9 --force 2>&1)
is "$?" 1 "switchover to an unknown member fails"
like "$out" "node9 does not exist" "and names it"
out=$(ops switchover 2>&1 </dev/null)
is "$?" 2 "switchover without --force and without a terminal refuses to ask"
is "$(lab_leader)" "$leader" "and the leader did not change"

wait_for 60 healthy_with_sync
cand=$(sync_standby)
"$PGHA" monitor --dir "$LAB_DIR" >"$LAB_TMP/monitor.out" 2>&1 &
MONITOR_PID=$!
writer "$LAB_TMP/writes" &
WRITER_PID=$!
sleep 1
out=$(ops switchover --candidate "$cand" --force 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "switchover --candidate $cand --force"
like "$out" "Successfully switched over to \"$cand\"" "it prints the agent's reply"
is "$(lab_leader)" "$cand" "$cand is the leader"
wait_for 60 streams "$leader"
ok $? "the old leader $leader rejoined as a streaming replica"
sleep 1
kill -TERM "$WRITER_PID"
wait "$WRITER_PID" 2>/dev/null
WRITER_PID=""
diag "planned switchover: $(longest_gap "$LAB_TMP/writes") (through pg_service rw, one connection per write)"
kill -INT "$MONITOR_PID"
wait "$MONITOR_PID"
is "$?" 0 "monitor exits 0 on SIGINT"
MONITOR_PID=""
sed 's/^/# monitor: /' "$LAB_TMP/monitor.out"
like "$(cat "$LAB_TMP/monitor.out")" "leader $leader -> $cand|$cand took the leader key" \
	"monitor reported the change of leader"

hist=$(ops history --json)
is "$(printf '%s' "$hist" | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["new_leader"])')" \
	"$cand" "history records the switchover to $cand"
like "$(ops history)" "\| +1 \| +[0-9]+ \| .* \| $cand +\|" "history table shows it"

# --- failover --candidate on a running cluster: a switchover ------------------------------------
wait_for 60 healthy_with_sync
old=$cand
cand=$(sync_standby)
out=$(ops failover --candidate "$cand" --force 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "failover --candidate $cand on a running cluster"
like "$out" "Successfully switched over to \"$cand\"" "it is carried out as a switchover"
is "$(lab_leader)" "$cand" "$cand is the leader"
wait_for 60 streams "$old"
ok $? "the old leader $old streams again"

# --- switchover without a candidate -----------------------------------------------------------
wait_for 60 lab_healthy
old=$(lab_leader)
out=$(ops switchover --force 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "switchover --force without a candidate"
new=$(lab_leader)
ok "$([ -n "$new" ] && [ "$new" != "$old" ]; echo $?)" "the leader changed ($old -> $new)"

# --- right away, a stock patronictl from the lab's instructions switches over again -----------
# The new leader names its synchronous standby only once one has caught up with it: a
# switchover asked for meanwhile waits for it (it once failed with 412, "No good candidates").
old=$new
diag "sync standby named when patronictl asks: $(list_json "[m['name'] for m in j['members'] if m['role']=='sync_standby']")"
out=$(patronictl -c "$LAB_DIR/patronictl.yml" switchover --force 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "patronictl -c $LAB_DIR/patronictl.yml switchover --force"
like "$out" "Successfully switched over to" "the agent accepted its credentials and carried it out"
new=$(lab_leader)
ok "$([ -n "$new" ] && [ "$new" != "$old" ]; echo $?)" "the leader changed ($old -> $new)"

# --- and at once, a scheduled switchover ---------------------------------------------------------
old=$(lab_leader)
at=$(date -d '+3 seconds' '+%Y-%m-%dT%H:%M:%S')
out=$(ops switchover --scheduled "$at" --force 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "switchover --scheduled $at (local time, no zone)"
like "$out" "Switchover scheduled" "the agent accepted the schedule (202)"
is "$(lab_leader)" "$old" "nothing happens before the time"
wait_for 30 leads_not "$old"
ok $? "the leader changes at the scheduled time ($old -> $(lab_leader))"
wait_for 60 lab_healthy
ok $? "one leader and two streaming replicas"
is "$(ops history --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 5 \
	"history has the five hand-overs"

# --- a switchover while the leader's REST API refuses connections: through etcd ----------------
if [ "$(id -u)" -eq 0 ] && iptables -w -L INPUT >/dev/null 2>&1; then
	wait_for 60 healthy_with_sync
	old=$(lab_leader)
	cand=$(sync_standby)
	block_api "$(lab_port "$old" api_port)"
	ok $? "$old's REST API port is blocked"
	out=$(ops switchover --candidate "$cand" --force 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	is "$rc" 0 "switchover --candidate $cand with $old's REST API unreachable"
	like "$out" "Could not switchover using $old's REST API .*falling back to DCS" \
		"it says that it falls back to the failover key"
	like "$out" "$cand is the new leader" "and waits for the agents to carry it out"
	is "$(lab_leader)" "$cand" "$cand is the leader"
	unblock_api
	wait_for 60 lab_healthy
	ok $? "one leader and two streaming replicas once the API answers again"
else
	diag "skip: the switchover through etcd needs root and a working iptables"
fi

# --- health fails when a replica's agent stops ----------------------------------------------
replica=$(list_json "[m['name'] for m in j['members'] if m['role']!='leader'][0]")
pid=$(lab_agent_pid "$replica")
kill -TERM "$pid"
wait_pid_gone "$pid" 60
ok $? "$replica's agent stopped"
out=$(ops health 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 1 "health exits 1"
like "$out" "FAIL  replica $replica " "it names the failing replica"
like "$out" "UNHEALTHY: .*replica $replica" "the verdict names it too"
lab_up >/dev/null
wait_for 60 lab_healthy
ops health >/dev/null 2>&1
is "$?" 0 "health passes again once the agent is back"

done_testing
