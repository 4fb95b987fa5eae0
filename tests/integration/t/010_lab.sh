#!/bin/bash
# 010_lab.sh: the local cluster tooling end to end: `pgha up` gives one leader and two
# streaming replicas and a router; service=rw of pg_service.conf goes through the router
# to the leader, service=ro to the replicas (both of them over 20 connections), each
# node's service to its PostgreSQL; a busy or colliding router port is refused before
# anything starts; `pgha list` (table and JSON) agrees with a stock patronictl; a stopped
# replica agent or router comes back with `pgha up`; `pgha down --keep` + `pgha up`
# keeps the leader and the data; a second `pgha up` reports the running cluster; and
# `pgha down` stops the router first, then every other pid, and removes the directory.
#
# Ports 30100-30199 (base port 30100; the router at 30108/30109, HTTP 30106), and
# 30900-30999 for plans that are refused.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=30100

# Conditions polled through wait_for (shellcheck cannot see such indirect calls).
# shellcheck disable=SC2317
replica_streams() { [ "$(lab_member_state "$replica")" = streaming ]; }
# shellcheck disable=SC2317
row_on_replica() { [ "$(lab_psql ro "select count(*) from lab_t" 2>/dev/null)" = 1 ]; }

# where SERVICE: "in_recovery|node|port" of a session through pg_service.conf.
where() {
	lab_psql "$1" "select pg_is_in_recovery(), current_setting('cluster_name'), current_setting('port')"
}

# service_port SERVICE: the port pg_service.conf gives the service.
service_port() {
	python3 -c '
import configparser, sys
c = configparser.ConfigParser()
c.read(sys.argv[1])
print(c[sys.argv[2]]["port"])' "$LAB_DIR/pg_service.conf" "$1"
}

# router_health: "STATUS LEADER" of the router's GET /health.
router_health() {
	curl -s --noproxy '*' -o "$LAB_TMP/health.json" -w '%{http_code}' \
		"http://127.0.0.1:$(lab_router_port http)/health"
	printf ' %s\n' "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["leader"])' \
		"$LAB_TMP/health.json" 2>/dev/null)"
}

lab_start $BASE
is "$(cluster_json "len(c['nodes'])")" 3 "cluster.json lists 3 nodes"
like "$LAB_UP_OUT" "node1 +postgres $((BASE + 10)) +rest-api $((BASE + 11))" "up prints the port plan"
like "$LAB_UP_OUT" "router +read-write $((BASE + 8)) +read-only $((BASE + 9)) +http $((BASE + 6))" \
	"the plan has the router's ports"
like "$LAB_UP_OUT" "router up \(service=rw lands on node[1-3]\)" "up waited for service=rw through the router"
is "$(cluster_json "c['ports']['router']")" \
	"{'rw_port': $((BASE + 8)), 'ro_port': $((BASE + 9)), 'http_port': $((BASE + 6))}" \
	"cluster.json records the router's ports"
like "$LAB_UP_OUT" "export PGSERVICEFILE=$LAB_DIR/pg_service.conf" "up says how to connect"
if [ "$(id -u)" -eq 0 ]; then
	like "$LAB_UP_OUT" "running the cluster as OS user postgres" "up says which OS user runs it"
	is "$(stat -c %U "$LAB_DIR/node1/agent.yml")" postgres "the lab directory belongs to postgres"
fi
for n in node1 node2 node3; do
	like "$("$PGHA" agent --check -c "$LAB_DIR/$n/agent.yml" 2>&1)" "configuration OK" \
		"pgha agent --check accepts $n/agent.yml"
done
is "$(stat -c %a "$LAB_DIR/secrets")" 700 "secrets directory is 0700"
is "$(stat -c %a "$LAB_DIR/secrets/superuser")" 600 "secret files are 0600"
is "$(stat -c %a "$LAB_DIR/pgpass")" 600 "client passfile is 0600"
is "$(stat -c %a "$LAB_DIR/patronictl.yml")" 600 "patronictl.yml (it holds the REST password) is 0600"
like "$("$PGHA" router --check -c "$LAB_DIR/router.yml" 2>&1)" "rw_listen: 127.0.0.1:$((BASE + 8))" \
	"pgha router --check accepts router.yml"
router_pid=$(head -n 1 "$LAB_DIR/run/router.pid")
ok "$(pid_alive "$router_pid"; echo $?)" "the router runs (pid $router_pid, run/router.pid)"
is "$(ps -o user= -p "$router_pid")" "$(cluster_json "c['os_user']")" "as the lab's OS user"
ok "$([ -s "$LAB_DIR/logs/router.log" ]; echo $?)" "and logs to logs/router.log"

# --- refused router ports: nothing starts -------------------------------------------------
out=$("$PGHA" up --dir "$LAB_TMP/second" --base-port 30900 --router-port "$((BASE + 8))" 2>&1)
is "$?" 1 "up refuses a router port in use"
like "$out" "port $((BASE + 8)) \(router read-write\) is not free" "the error names the port"
like "$out" "Pick other router ports with --router-port" "and the option that moves it"
ok "$([ ! -e "$LAB_TMP/second" ]; echo $?)" "nothing was written or started"
out=$("$PGHA" up --dir "$LAB_TMP/second" --base-port 30900 --router-port 30919 2>&1)
is "$?" 2 "up refuses router ports that collide with the plan"
like "$out" "the router's read-only port 30920 is also node2's PostgreSQL port" \
	"the error says with what"

# --- pgha list ----------------------------------------------------------------------------
table=$("$PGHA" list --dir "$LAB_DIR")
ok $? "pgha list exits 0"
printf '%s\n' "$table" | sed 's/^/# /'
is "$(printf '%s\n' "$table" | grep -c '| Leader ')" 1 "the table shows one leader"
is "$(printf '%s\n' "$table" | grep -Ec '\| (Replica|Sync Standby) +\| streaming ')" 2 \
	"the table shows two streaming replicas"

json=$(lab_list_json)
ok $? "pgha list --json exits 0"
check_json=$(printf '%s' "$json" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert set(j) == {"scope", "namespace", "etcd", "leader", "pause", "members", "failsafe"}, sorted(j)
assert j["pause"] is False
fs = j["failsafe"]
assert set(fs) == {"mode", "active", "primary", "members"}, sorted(fs)
assert fs["mode"] is True and fs["active"] is False and fs["primary"] is None, fs
assert isinstance(fs["members"], list), fs
assert j["scope"] == "pgha-lab" and j["namespace"] == "/service/"
assert len(j["etcd"]) == 3 and all(u.startswith("https://127.0.0.1:") for u in j["etcd"])
fields = {"name", "host", "port", "api_url", "pooler", "role", "state", "timeline",
          "lag_bytes", "archive"}
assert [m["name"] for m in j["members"]] == ["node1", "node2", "node3"]
for m in j["members"]:
    assert set(m) == fields, sorted(m)
    assert m["host"] == "127.0.0.1" and isinstance(m["port"], int)
    assert m["api_url"].startswith("https://") and m["api_url"].endswith("/patroni")
    assert isinstance(m["timeline"], int) and isinstance(m["lag_bytes"], int)
leaders = [m for m in j["members"] if m["role"] == "leader"]
assert len(leaders) == 1 and leaders[0]["name"] == j["leader"]
assert all(m["state"] == "streaming" for m in j["members"] if m["role"] != "leader")
print("ok")' 2>&1)
is "$check_json" ok "list --json has the specified fields, one leader, two streaming, failsafe on and idle"
leader=$(lab_leader)
diag "leader: $leader"

# --- the passfile covers every port the tools print ---------------------------------------------
printed=$(list_json "' '.join(f\"{m['host']}:{m['port']} {m['pooler']}\" for m in j['members'])")
printed="$printed 127.0.0.1:$(lab_router_port rw) 127.0.0.1:$(lab_router_port ro)"
for hp in $printed; do
	is "$(PGPASSFILE=$LAB_DIR/pgpass psql -h "${hp%:*}" -p "${hp##*:}" -U postgres -d postgres -w \
		-XAtqc 'select 1' 2>&1)" 1 "the superuser logs in on $hp with the passfile alone"
done
# shellcheck disable=SC2086 # one port a word
is "$(wc -l <"$LAB_DIR/pgpass")" "$(printf '%s\n' $printed | sort -u | wc -l)" \
	"one passfile line per port printed, no more"

# --- pg_service.conf and the router ----------------------------------------------------------
is "$(service_port rw)" "$((BASE + 8))" "service=rw is the router's read-write port"
is "$(service_port ro)" "$((BASE + 9))" "service=ro is the router's read-only port"
is "$(router_health)" "200 $leader" "the router's /health answers 200, naming the leader"
is "$(where rw)" "f|$leader|$(lab_port "$leader" pg_port)" \
	"service=rw through the router: the leader's PostgreSQL, not in recovery"
is "$(PGPASSFILE=$LAB_DIR/pgpass psql "host=127.0.0.1 port=$((BASE + 8)) user=postgres \
	dbname=postgres sslmode=verify-full sslrootcert=$LAB_DIR/tls/ca.crt" \
	-XAtqc "select current_setting('cluster_name')")" "$leader" \
	"the superuser logs in through the router and PgBouncer (password from the passfile)"
ro_where=$(where ro)
like "$ro_where" "^t\|node[1-3]\|" "service=ro through the router: a replica, in recovery"
ro_nodes=$(for _ in $(seq 20); do lab_psql ro "select current_setting('cluster_name')"; done | sort | uniq -c)
diag "20 service=ro sessions: $(printf '%s' "$ro_nodes" | tr '\n' ' ')"
is "$(printf '%s\n' "$ro_nodes" | awk '{print $2}' | tr '\n' ' ')" \
	"$(lab_replicas | sort | tr '\n' ' ')" "20 service=ro sessions reach both replicas, and only them"
for n in node1 node2 node3; do
	is "$(lab_psql "$n" 'select inet_server_port()')" "$(lab_port "$n" pg_port)" \
		"service=$n reaches $n"
done
is "$(lab_psql "$leader" 'select count(*) from pg_stat_replication')" 2 \
	"the leader streams to 2 replicas"
is "$(lab_psql "$leader" "select count(*) from pg_stat_replication where state = 'streaming'")" \
	2 "both replication connections are streaming"

# --- a stock patronictl, with the lab's patronictl.yml, sees the same cluster ------------------------
like "$LAB_UP_OUT" "patronictl -c $LAB_DIR/patronictl.yml list" "up says how to run patronictl"
ctl=$(patronictl -c "$LAB_DIR/patronictl.yml" list -f json 2>&1)
ok $? "patronictl list exits 0"
ctl_view=$(printf '%s' "$ctl" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
print(" ".join(sorted(r["Member"] for r in rows)),
      [r["Member"] for r in rows if r["Role"] == "Leader"])' 2>&1)
is "$ctl_view" "node1 node2 node3 ['$leader']" "patronictl lists the same members and leader"
patronictl -c "$LAB_DIR/patronictl.yml" list | sed 's/^/# /'
# (Debian's patronictl 3.0.2 has no etcd3:// scheme for -d: the hosts come from the file.)

lab_psql rw "create table lab_t (x int primary key); insert into lab_t values (42)" >/dev/null
ok $? "a row is inserted through service=rw"

# --- a replica's agent stopped and started again -----------------------------------------------------
replica=$(list_json "[m['name'] for m in j['members'] if m['role'] != 'leader'][0]")
pid=$(lab_agent_pid "$replica")
kill -TERM "$pid"
wait_pid_gone "$pid" 60
ok $? "$replica's agent (pid $pid) stopped on SIGTERM"
lab_up
ok $? "pgha up restarts what is missing"
like "$LAB_UP_OUT" "starting $replica" "up says it starts only $replica"
wait_for 60 replica_streams
ok $? "$replica streams again"
is "$(lab_leader)" "$leader" "the leader did not change"

# --- the router stopped and started again ---------------------------------------------------------
kill -TERM "$router_pid"
wait_pid_gone "$router_pid" 30
ok $? "the router (pid $router_pid) stopped on SIGTERM"
lab_up
ok $? "pgha up restarts the router"
like "$LAB_UP_OUT" "starting router as|starting router$" "up says it starts only the router"
router_pid=$(head -n 1 "$LAB_DIR/run/router.pid")
ok "$(pid_alive "$router_pid"; echo $?)" "a new router runs (pid $router_pid)"
is "$(where rw)" "f|$leader|$(lab_port "$leader" pg_port)" "service=rw reaches the leader again"

# --- up on a running cluster -------------------------------------------------------------------------
lab_up
ok $? "pgha up on a running cluster exits 0"
like "$LAB_UP_OUT" "already running" "it reports the running cluster"
like "$LAB_UP_OUT" "\| Leader " "with its members table"
like "$LAB_UP_OUT" "Router: read-write 127.0.0.1:$((BASE + 8)), read-only 127.0.0.1:$((BASE + 9))" \
	"and its router"

# --- down --keep, then up: same leader, same data --------------------------------------------------------
pids=$(lab_pids)
down_out=$(lab_down --keep 2>&1)
ok $? "pgha down --keep exits 0"
printf '%s\n' "$down_out" | sed 's/^/# /'
like "$(printf '%s\n' "$down_out" | head -n 1)" "^stopped router \(pid $router_pid\)" \
	"down stops the router first"
ok "$(! pid_alive "$router_pid"; echo $?)" "the router is gone"
alive=""
for p in $pids; do pid_alive "$p" && alive="$alive $p"; done
is "$alive" "" "no recorded pid is alive after down --keep"
ok "$([ -f "$LAB_DIR/cluster.json" ] && [ -d "$LAB_DIR/node1/data" ]; echo $?)" \
	"down --keep keeps the directory and the data"
"$PGHA" list --dir "$LAB_DIR" >/dev/null 2>&1
is $? 3 "pgha list exits 3 when etcd is down"
lab_up
rc=$?
ok $rc "pgha up starts the kept cluster again (${LAB_UP_SECONDS} s)"
[ $rc -eq 0 ] || printf '%s\n' "$LAB_UP_OUT" | sed 's/^/# /'
is "$(lab_leader)" "$leader" "the same node leads after a full restart"
is "$(lab_psql rw 'select x from lab_t')" 42 "the row inserted before is still there"
is "$(where rw | cut -d'|' -f1,2)" "f|$leader" "service=rw goes through the restarted router to the leader"
wait_for 30 row_on_replica
ok $? "and replicated to the replicas"
wait_for 60 lab_healthy
ok $? "one leader and two streaming replicas again"

# --- down ---------------------------------------------------------------------------------------------
pids=$(lab_pids)
router_pid=$(head -n 1 "$LAB_DIR/run/router.pid")
down_out=$(lab_down 2>&1)
ok $? "pgha down exits 0"
like "$down_out" "stopped router \(pid $router_pid\)" "pgha down stopped the router"
ok "$([ ! -e "$LAB_DIR" ]; echo $?)" "pgha down removed the directory"
alive=""
for p in $pids; do pid_alive "$p" && alive="$alive $p"; done
is "$alive" "" "no pid from the run directory is alive"
"$PGHA" list --dir "$LAB_DIR" >/dev/null 2>&1
is $? 2 "pgha list on a removed lab is a usage error"

done_testing
