#!/usr/bin/env bash
# 020_agent_inputs: bad input never crashes the agent and never loses anything.
#  - a malformed YAML file is rejected with file and line; unknown keys are reported;
#  - an unreachable etcd leaves the agent retrying, with a clear log line and /health 503;
#  - a malformed value in etcd is logged and ignored: the cluster stays healthy;
#  - a data directory from another cluster is refused with a clear error, never started.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=30200
lab_start "$BASE"
node1_yml=$LAB_DIR/node1/agent.yml
run_as=$(cluster_json "c['os_user']")

# --- configuration files ---------------------------------------------------------------

bad=$LAB_TMP/bad.yml
printf 'scope: x\nname: n1\nrestapi:\n  listen: [unclosed\n' >"$bad"
out=$("$PGHA" agent --check -c "$bad" 2>&1)
is "$?" 2 "malformed YAML: exit status 2"
like "$out" "bad\.yml:[0-9]+" "malformed YAML: the error names the file and line"

unknown=$LAB_TMP/unknown.yml
{ cat "$node1_yml"; printf 'frobnicate: 1\n'; } >"$unknown"
out=$("$PGHA" agent --check -c "$unknown" 2>&1)
is "$?" 0 "an unknown key does not make a valid file invalid"
like "$out" "unknown\.yml:[0-9]+: unknown key 'frobnicate'" "the unknown key is reported with its line"

# extra_agent NAME SLOT ETCD_HOSTS DATA_DIR: an agent config beside the lab's, on ports
# BASE+90+2*SLOT (PostgreSQL) and +1 (REST API), outside the lab's port plan.
extra_agent() {
	local name=$1 pg=$((BASE + 90 + 2 * $2)) api=$((BASE + 91 + 2 * $2)) yml=$LAB_TMP/$1.yml
	sed -e "s/^name: .*/name: $name/" \
		-e "s/127\.0\.0\.1:$(lab_port node1 pg_port)/127.0.0.1:$pg/" \
		-e "s/127\.0\.0\.1:$(lab_port node1 api_port)/127.0.0.1:$api/" \
		-e "s#$LAB_DIR/node1/#$4/#" \
		-e '/^pgbouncer:/,$d' "$node1_yml" >"$yml"
	if [ -n "$3" ]; then
		python3 - "$yml" "$3" <<-'EOF'
			import re, sys
			path, hosts = sys.argv[1], sys.argv[2]
			text = open(path).read()
			text = re.sub(r"(\n  hosts:)(\n    - .*)+", r"\1\n    - " + hosts, text)
			open(path, "w").write(text)
		EOF
	fi
	mkdir -p "$4"
	chown -R "$run_as" "$4" "$yml"
	echo "$yml"
}

start_agent() { # YML LOG: prints the agent's pid (the lab's copy of pgha, as the lab's user)
	runuser -u "$run_as" -- "$(lab_pgha)" agent -c "$1" >"$2" 2>&1 &
	echo $!
}

# --- etcd unreachable -------------------------------------------------------------------

yml=$(extra_agent lonely 0 "127.0.0.1:$((BASE + 99))" "$LAB_TMP/lonely")
"$PGHA" agent --check -c "$yml" >/dev/null 2>&1
ok $? "the lonely agent's config is valid"
log=$LAB_TMP/lonely.log
pid=$(start_agent "$yml" "$log")
api=$((BASE + 91))
wait_for 15 grep -q "waiting for etcd" "$log"
ok $? "an unreachable etcd is reported in the log"
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_api node1 | sed "s/:[0-9]*$/:$api/")/health")
is "$code" 503 "/health answers 503 while etcd is unreachable"
sleep 2
pid_alive "$pid"
ok $? "the agent keeps running and retrying"
[ ! -e "$LAB_TMP/lonely/data/PG_VERSION" ]
ok $? "without etcd the agent creates no cluster"
kill -TERM "$pid"
wait_pid_gone "$pid" 15
ok $? "the agent stops on SIGTERM"

# --- a malformed value in etcd ----------------------------------------------------------

lab_etcdctl put /service/pgha-lab/members/garbage '{"conn_url": 42, "state": [' >/dev/null
ok $? "wrote a malformed member value with etcdctl"
lab_etcdctl put /service/pgha-lab/sync 'not json' >/dev/null
sleep 3
for n in node1 node2 node3; do
	pid_alive "$(lab_agent_pid $n)"
	ok $? "$n's agent survived the malformed values"
done
grep -q "garbage" "$LAB_DIR"/logs/node*.log
ok $? "the malformed member value is logged"
wait_for 20 lab_healthy
ok $? "the cluster stays healthy (one leader, replicas streaming)"
is "$(list_json "len(j['members'])")" 3 "the malformed member is left out of the list"
lab_psql rw "create table if not exists t(x int); insert into t values (1)" >/dev/null
ok $? "writes still work"

# --- a data directory of another cluster ---------------------------------------------------

foreign=$LAB_TMP/foreign
mkdir -p "$foreign"
chown "$run_as" "$foreign"
runuser -u "$run_as" -- "$(cluster_json "c['binaries']['pg_bin_dir']")/initdb" -D "$foreign/data" \
	-U postgres >/dev/null 2>&1
ok $? "initdb of an unrelated cluster"
yml=$(extra_agent stranger 1 "" "$foreign")
log=$LAB_TMP/stranger.log
pid=$(start_agent "$yml" "$log")
wait_for 20 grep -q "does not belong to this cluster" "$log"
ok $? "a foreign data directory is refused with a clear error"
like "$(grep "does not belong" "$log" | head -n 1)" "system identifier is [0-9]+, the cluster's [0-9]+" \
	"the error gives both system identifiers"
[ ! -e "$foreign/data/postmaster.pid" ]
ok $? "PostgreSQL is never started on it"
is "$(list_json "j['leader']")" "$(lab_leader)" "the cluster's leader is unchanged"
kill -TERM "$pid"
wait_pid_gone "$pid" 15
ok $? "the refusing agent stops on SIGTERM"

# --- reload (SIGHUP) -----------------------------------------------------------------------

api1="$(lab_api node1)/patroni"
cp "$node1_yml" "$LAB_TMP/node1.yml.orig"
printf 'tags:\n  nofailover: true\n' >>"$node1_yml"
kill -HUP "$(lab_agent_pid node1)"
wait_for 10 eval "lab_curl '$api1' | grep -q '\"nofailover\": *true'"
ok $? "SIGHUP applies a new tag (nofailover shows in /patroni)"
printf 'restapi: [broken\n' >>"$node1_yml"
kill -HUP "$(lab_agent_pid node1)"
wait_for 10 grep -q "rejected; the running configuration stays" "$LAB_DIR/logs/node1.log"
ok $? "a broken file on reload is rejected with a clear message"
pid_alive "$(lab_agent_pid node1)"
ok $? "the agent keeps running on its previous configuration"
cp "$LAB_TMP/node1.yml.orig" "$node1_yml"
kill -HUP "$(lab_agent_pid node1)"
wait_for 10 eval "! lab_curl '$api1' | grep -q nofailover"
ok $? "reloading the original file removes the tag again"

done_testing
