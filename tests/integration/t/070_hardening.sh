#!/bin/bash
# 070_hardening.sh: a default lab against what the review of issue 9 found.
#
# - Secrets: `pgha up` run with passwords in its environment (PATRONI_*, PGHA_*,
#   PGPASSWORD), and an agent started by hand with its passwords in the environment:
#   no process of the lab (etcd, agents, PostgreSQL and its children, PgBouncer, the
#   router) has a secret in /proc/<pid>/environ or on its command line, the agent's own
#   environment included (PostgreSQL's processes run as the same OS user and could
#   read it).
# - Hostile etcd content, written straight into the lab's etcd: a key "leader\0x", a
#   member whose api_url is file:///, and 17 more members whose names sort before the
#   leader's: the primary stays primary and keeps taking writes through the router, the
#   agents say why, and the cluster is whole again once the keys are gone.
# - Slow clients: 128 slow-header connections from each of 127.0.0.2 and 127.0.0.3 to
#   the leader's REST API while /patroni probes from 127.0.0.1 keep succeeding; the
#   slow ones are closed by the request deadline.
#
# Ports 37700-37799.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=${BASE:-37700}
CANARY=leak-canary-7f3a

# --- secrets ---------------------------------------------------------------------------------

# lab_tree: the lab's pids (run/*.pid and postmaster.pid) and all their descendants.
lab_tree() {
	local roots
	roots=$(lab_pids | sort -u | tr '\n' ' ')
	python3 - "$roots" "$@" <<-'PY'
		import os, sys
		roots = set(int(p) for p in sys.argv[1].split() + sys.argv[2:] if p)
		children = {}
		for d in os.listdir("/proc"):
		    if d.isdigit():
		        try:
		            ppid = int(open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()[1])
		        except (OSError, IndexError):
		            continue
		        children.setdefault(ppid, []).append(int(d))
		seen, todo = set(), list(roots)
		while todo:
		    p = todo.pop()
		    if p in seen or not os.path.exists("/proc/%d" % p):
		        continue
		    seen.add(p)
		    todo.extend(children.get(p, []))
		print("\n".join(str(p) for p in sorted(seen)))
	PY
}

# leaks PIDS...: "pid comm: what" for each process whose environ or cmdline holds a
# secret: the canary, a lab password, or any *PASSWORD= variable.
leaks() {
	# shellcheck disable=SC2048,SC2086 # one pid per word
	python3 - "$LAB_DIR/secrets" "$CANARY" $* <<-'PY'
		import os, sys
		secrets = [sys.argv[2].encode()]
		for f in os.listdir(sys.argv[1]):
		    secrets.append(open(os.path.join(sys.argv[1], f), "rb").read().strip())
		for pid in sys.argv[3:]:
		    try:
		        comm = open("/proc/%s/comm" % pid).read().strip()
		        env = open("/proc/%s/environ" % pid, "rb").read()
		        cmd = open("/proc/%s/cmdline" % pid, "rb").read()
		    except OSError:
		        continue
		    for what, text in (("environ", env), ("cmdline", cmd)):
		        for s in secrets:
		            if s and s in text:
		                print("%s %s: a secret in %s" % (pid, comm, what))
		        for var in text.split(b"\0"):
		            if what == "environ" and b"PASSWORD=" in var:
		                print("%s %s: %s" % (pid, comm, var.split(b"=")[0].decode()))
	PY
}

lab_init
# shellcheck disable=SC2034 # read by lab_up
LAB_ROUTER_PORT=$((BASE + 8))
PATRONI_SUPERUSER_PASSWORD=$CANARY PATRONI_RESTAPI_PASSWORD=$CANARY PGHA_REST_PASSWORD=$CANARY \
	PGPASSWORD=$CANARY lab_up --base-port "$BASE" || {
	printf '%s\n' "$LAB_UP_OUT" | sed 's/^/# /'
	lab_dump_logs
	bail "pgha up (with passwords in its environment) failed"
}
ok 0 "pgha up with passwords in its environment: the lab comes up (they are not passed on)"
pids=$(lab_tree)
diag "$(echo "$pids" | wc -l) processes in the lab"
is "$(leaks "$pids")" "" "no lab process has a secret in its environment or command line"
comms=$(for p in $pids; do cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c | tr -s ' ' | tr '\n' ',')
like "$comms" "etcd.*pgbouncer.*pgha.*postgres" "and those are etcd, the agents, PgBouncers, PostgreSQL"

# An agent started by hand with its passwords in the environment (as systemd's
# EnvironmentFile= does): they leave its environment and reach no child.
node=$(lab_replicas | tail -1)
agent=$(lab_agent_pid "$node")
read -r -a agent_cmd < <(tr '\0' ' ' <"/proc/$agent/cmdline")
kill -TERM "$agent"
wait_pid_gone "$agent" 30 || bail "the $node agent did not stop"
su_pw=$(cat "$LAB_DIR/secrets/superuser")
repl_pw=$(cat "$LAB_DIR/secrets/replication")
as_user=$(cluster_json "c['os_user']")
# HOME as su or systemd's User= would set it: libpq (replication over TLS) looks for a
# client certificate in ~/.postgresql and fails on one it may not read (/root's).
as_home=$(getent passwd "$as_user" | cut -d: -f6)
setpriv --reuid="$as_user" --regid="$as_user" --init-groups -- env HOME="$as_home" \
	PATRONI_SUPERUSER_PASSWORD="$su_pw" PATRONI_REPLICATION_PASSWORD="$repl_pw" \
	PGHA_REST_PASSWORD="$CANARY" "${agent_cmd[@]}" >>"$LAB_DIR/logs/$node.by-hand.log" 2>&1 &
hand=$!
# shellcheck disable=SC2154 # rc is the trap's own: lab_cleanup exits with the test's status
trap 'rc=$?; kill -TERM $hand 2>/dev/null; wait $hand 2>/dev/null; (exit $rc); lab_cleanup' EXIT
wait_for 60 eval "[ \"\$(lab_member_state $node)\" = streaming ]"
ok $? "$node's agent, started by hand with its passwords in the environment, streams again"
pids=$(lab_tree "$hand")
is "$(leaks "$pids")" "" "neither it nor its PostgreSQL, PgBouncer and their children show them"
kill -TERM "$hand"
wait "$hand"
trap lab_cleanup EXIT
lab_up >/dev/null || bail "pgha up could not restart $node's agent"
wait_for 60 lab_healthy
ok $? "the lab is whole again"

# --- hostile etcd content -----------------------------------------------------------------------

etcd_url=$(cluster_json "c['etcd'][0]")
prefix=/service/pgha-lab
# etcd_call PATH JSON: one request to etcd's v3 JSON gateway as the lab's etcd user,
# checking the lab's CA (https on a default lab).
etcd_call() {
	python3 - "$etcd_url" "$(lab_ca_or_empty)" "$LAB_DIR/secrets/etcd" "$1" "$2" <<-'PY'
		import json, ssl, sys, urllib.request
		url, ca, pwfile, path, body = sys.argv[1:6]
		ctx = ssl.create_default_context(cafile=ca) if ca else None
		def post(p, data, headers):
		    headers["Content-Type"] = "application/json"
		    req = urllib.request.Request(url + p, data=data.encode(), headers=headers)
		    return json.load(urllib.request.urlopen(req, timeout=5, context=ctx))
		with open(pwfile) as f:
		    auth = {"name": "pgha", "password": f.read().strip()}
		token = post("/v3/auth/authenticate", json.dumps(auth), {})["token"]
		post(path, body, {"Authorization": token})
	PY
}
# b64 KEY: KEY (which may hold \0, as printf escapes) in base64; b64 KEY end: the end of
# KEY's prefix range.
b64() {
	python3 - "$1" "${2:-}" <<-'PY'
		import base64, sys
		key = sys.argv[1].encode().decode("unicode_escape").encode("latin-1")
		if sys.argv[2] == "end":
		    key = key[:-1] + bytes([key[-1] + 1])
		print(base64.b64encode(key).decode())
	PY
}
# etcd_put KEY VALUE: KEY may hold \0 (printf escapes).
etcd_put() {
	etcd_call /v3/kv/put "{\"key\": \"$(b64 "$1")\", \"value\": \"$(printf '%s' "$2" | base64 -w0)\"}"
}
etcd_del_prefix() {
	etcd_call /v3/kv/deleterange "{\"key\": \"$(b64 "$1")\", \"range_end\": \"$(b64 "$1" end)\"}"
}
leader=$(lab_leader)
leader_port=$(lab_port "$leader" pg_port)
primary_ok() { # the leader's PostgreSQL is primary and a write through the router lands there
	local role port
	role=$(lab_psql "$leader" "select pg_is_in_recovery()" 2>&1)
	port=$(lab_psql rw "insert into hostile_t values (default) returning current_setting('port')" 2>&1)
	[ "$role" = f ] && [ "$port" = "$leader_port" ] && return 0
	diag "in recovery: '$role'; a write through the router: '$port' (want $leader_port)"
	return 1
}
# stays_primary SECONDS: primary_ok every half second for that long.
stays_primary() {
	local end=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$end" ]; do
		primary_ok || return 1
		sleep 0.5
	done
}
lab_psql rw "create table hostile_t (id serial)" >/dev/null
etcd_put "$prefix/leader\\x00x" "$(lab_replicas | head -1)"
stays_primary 6
ok $? "a key leader\\0x naming a replica: $leader stays primary and takes writes for 6 s"
is "$(lab_leader)" "$leader" "and pgha list still names it"
wait_for 10 grep -q 'leader\\0...\" holds a NUL byte; ignored' "$LAB_DIR/logs/$leader.log"
ok $? "the agents say why the key is ignored"
etcd_put "$prefix/members/evil" '{"api_url":"file:///etc/shadow","conn_url":"postgres://127.0.0.1:1/x","state":"running","role":"replica","xlog_location":1}'
wait_for 10 grep -q 'members/evil: api_url "file:///etc/shadow" is not http(s); ignored' \
	"$LAB_DIR/logs/$leader.log"
ok $? "a member's file:// api_url is ignored with a warning"
for i in $(seq -w 0 16); do
	etcd_put "$prefix/members/a$i" '{"conn_url":"postgres://127.0.0.1:1/x","api_url":"http://127.0.0.1:1/patroni","state":"running","role":"replica"}'
done
wait_for 10 grep -q "members in etcd, more than the 16 pgha reads: view refused" \
	"$LAB_DIR/logs/$leader.log"
ok $? "21 members: the view is refused, loudly"
stays_primary 8
ok $? "and $leader stays primary, taking writes through the router, for 8 s"
etcd_del_prefix "$prefix/members/a"
etcd_del_prefix "$prefix/members/evil"
etcd_del_prefix "$prefix/leader\\x00"
wait_for 30 lab_healthy
ok $? "the keys gone, the cluster is whole: one leader, two streaming replicas"
is "$(lab_leader)" "$leader" "with the same leader"

# --- slow clients on the REST API -----------------------------------------------------------------

api_port=$(lab_port "$leader" api_port)
# On a default lab the slow clients finish their TLS handshake first (slow_http.py).
python3 "$LIB_TOP/tests/integration/slow_http.py" "$api_port" /patroni 128 2 "$(lab_ca_or_empty)" \
	>"$LAB_TMP/slow.out" 2>&1 &
slow=$!
probes=0
failed=0
end=$((SECONDS + 14))
while [ "$SECONDS" -lt "$end" ]; do
	code=$(lab_curl -o /dev/null -m 2 -w '%{http_code}' "$(lab_api "$leader")/patroni")
	probes=$((probes + 1))
	[ "$code" = 200 ] || failed=$((failed + 1))
	sleep 0.2
done
wait "$slow"
diag "slow clients: $(tail -1 "$LAB_TMP/slow.out")"
is "$failed" 0 "256 slow-header clients from 127.0.0.2 and .3: all $probes /patroni probes from 127.0.0.1 succeed"
like "$(tail -1 "$LAB_TMP/slow.out")" "^open 256, closed 256, the last after ([0-9]|1[0-3]) s$" \
	"every slow client is closed: the extra ones at once, the others at the 10 s request deadline"

done_testing
