# shellcheck shell=bash
# lib.sh: shell library for scenario tests (tests/integration/t/*.sh) against a local
# cluster started with `pgha up`.
#
#   . "$(dirname "$0")/../lib.sh"
#   lab_start 30100            # pgha up in a fresh temp dir; cleanup is armed (trap EXIT)
#   is "$(lab_leader)" node1 "node1 leads"
#   lab_psql rw "select 1"     # through the lab's router (service=rw)
#   done_testing               # exit status: 0 only if every check passed
#
# The router: `pgha up` puts it on 5432/5433 by default, which CI machines and other
# tests may use; lab_start puts it at BASE+8 (read-write) and BASE+9 (read-only), two
# ports of the plan's span that nothing else in the plan uses, and every lab_up passes
# the same --router-port.
#
# Output is TAP (ok N - ..., not ok N - ..., # comments). Everything the lab started is
# stopped by pid on exit, whatever happens: `pgha down`, then any pid still recorded in
# the lab's run/ directory or in a node's postmaster.pid; then what a chaos run may have
# left (its nftables table, the lab's cgroups: lab_leftovers) is removed, and the temp
# dir (kept, with its logs, when KEEP_LAB=1). Nothing is ever killed by name.
#
# Environment: PGHA (the binary, default <repo>/pgha), KEEP_LAB=1, LOG_LINES (per log
# dumped on failure, default 20).

set -u

LIB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PGHA=${PGHA:-$LIB_TOP/pgha}
LAB_TMP=""   # temp directory holding the lab (and scratch files of the test)
LAB_DIR=""   # the lab directory given to pgha --dir
LAB_UP_OUT="" # output of the last lab_up
LAB_ROUTER_PORT="" # --router-port of every lab_up (set by lab_start)
LAB_BASE=""   # --base-port of the lab (set by lab_start)
LAB_UP_SECONDS=0
TAP_N=0
TAP_FAILED=0

# --- TAP ----------------------------------------------------------------------------------

diag() { printf '# %s\n' "$*"; }

# ok STATUS DESCRIPTION: passes when STATUS is 0 (use: ok $? "...", or ok "$(cmd; echo $?)").
ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  got:  '$1'"
		diag "  want: '$2'"
	fi
}

# like TEXT REGEX DESCRIPTION (grep -E)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  '$1'"
		diag "  does not match /$2/"
	fi
}

# bail MESSAGE: stop the test now (cleanup still runs).
bail() {
	echo "Bail out! $*"
	TAP_FAILED=$((TAP_FAILED + 1))
	exit 1
}

done_testing() {
	echo "1..$TAP_N"
	if [ "$TAP_FAILED" -gt 0 ]; then
		diag "$TAP_FAILED of $TAP_N checks failed"
		exit 1
	fi
	exit 0
}

# --- waiting ------------------------------------------------------------------------------

# wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds; 1 on timeout.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
	return 0
}

# pid_alive PID
pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# wait_pid_gone PID SECONDS
wait_pid_gone() {
	local pid=$1
	wait_for "$2" eval "! kill -0 $pid"
}

# --- the lab ------------------------------------------------------------------------------

# lab_pids: every pid the lab recorded (run/*.pid: etcd, agents, router.pid; and
# node*/data/postmaster.pid), one a line. PgBouncer dies with its agent (parent-death
# signal), so its pid is not needed here.
lab_pids() {
	[ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] || return 0
	local f
	for f in "$LAB_DIR"/run/*.pid "$LAB_DIR"/node*/data/postmaster.pid; do
		[ -f "$f" ] && head -n 1 "$f"
	done
	return 0
}

# cgroup2_root: where the cgroup v2 hierarchy is mounted ("" if nowhere).
cgroup2_root() {
	sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2 .*/\1/p' /proc/self/mountinfo | head -n 1
}

# lab_leftovers: what of the lab outlives `pgha down`, one line each: the
# nftables table of `pgha chaos` and the lab's cgroup directory. Empty when clean.
lab_leftovers() {
	local base=$LAB_BASE root
	[ -n "$base" ] || return 0
	if command -v nft >/dev/null 2>&1 && nft list table inet "pgha_chaos_$base" >/dev/null 2>&1; then
		echo "nftables table inet pgha_chaos_$base"
	fi
	root=$(cgroup2_root)
	if [ -n "$root" ] && [ -d "$root/pgha-$base" ]; then
		echo "cgroup $root/pgha-$base"
	fi
	return 0
}

# lab_remove_leftovers: deletes what lab_leftovers lists (cgroups deepest first; a cgroup
# still holding a process stays, and is reported).
lab_remove_leftovers() {
	local base=$LAB_BASE root
	[ -n "$base" ] || return 0
	if command -v nft >/dev/null 2>&1; then
		nft delete table inet "pgha_chaos_$base" 2>/dev/null
	fi
	root=$(cgroup2_root)
	if [ -n "$root" ] && [ -d "$root/pgha-$base" ]; then
		find "$root/pgha-$base" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$root/pgha-$base" ] && diag "cleanup: cannot remove $root/pgha-$base"
	fi
	return 0
}

lab_cleanup() {
	local rc=$? pid left
	trap - EXIT INT TERM
	if [ -n "$LAB_DIR" ] && [ -f "$LAB_DIR/cluster.json" ]; then
		if [ "${KEEP_LAB:-0}" = 1 ]; then
			"$PGHA" down --dir "$LAB_DIR" --keep --timeout 20 >/dev/null 2>&1
		else
			"$PGHA" down --dir "$LAB_DIR" --timeout 20 >/dev/null 2>&1
		fi
	fi
	# Whatever pgha down could not stop (or a test left behind): by pid, never by name.
	for pid in $(lab_pids); do
		if pid_alive "$pid"; then
			diag "cleanup: killing leftover pid $pid"
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	left=$(lab_leftovers)
	if [ -n "$left" ]; then
		diag "cleanup: removing what pgha down left: $left"
		lab_remove_leftovers
	fi
	if [ -n "$LAB_TMP" ] && [ -d "$LAB_TMP" ]; then
		if [ "${KEEP_LAB:-0}" = 1 ]; then
			diag "kept $LAB_TMP"
		else
			rm -rf "$LAB_TMP"
		fi
	fi
	exit "$rc"
}

# lab_init: a fresh temp dir (searchable by the postgres user) and the cleanup trap.
lab_init() {
	[ -x "$PGHA" ] || bail "no pgha binary at $PGHA (run make)"
	LAB_TMP=$(mktemp -d /tmp/pgha-itest.XXXXXX) || bail "mktemp failed"
	chmod 755 "$LAB_TMP"
	LAB_DIR=$LAB_TMP/lab
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
}

# A lab of `make up` (pgha up's defaults: ports 6500-6599, the router on 5432-5433) may
# run while `make check` does: no test lab may use one of those ports.
DEFAULT_LAB_PORTS="6500-6599 5432-5433"

# ports_clash FIRST LAST: the ports FIRST..LAST overlap those of a default lab.
ports_clash() {
	local r
	for r in $DEFAULT_LAB_PORTS; do
		[ "$1" -le "${r#*-}" ] && [ "$2" -ge "${r%-*}" ] && return 0
	done
	return 1
}

# lab_ports_guard ARGS...: bails out when pgha up ARGS would take a port of a default lab
# (its --base-port span of 100 ports, or the router's two).
lab_ports_guard() {
	local base=""
	while [ $# -gt 0 ]; do
		[ "$1" = --base-port ] && [ $# -gt 1 ] && base=$2
		shift
	done
	if [ -n "$base" ] && ports_clash "$base" $((base + 99)); then
		bail "base port $base: its ports overlap a default lab's ($DEFAULT_LAB_PORTS)"
	fi
	if [ -n "$LAB_ROUTER_PORT" ] && ports_clash "$LAB_ROUTER_PORT" $((LAB_ROUTER_PORT + 1)); then
		bail "router port $LAB_ROUTER_PORT: a default lab's ($DEFAULT_LAB_PORTS)"
	fi
	return 0
}

# lab_up [ARGS...]: pgha up on LAB_DIR (with --router-port LAB_ROUTER_PORT when set);
# output in LAB_UP_OUT, duration in LAB_UP_SECONDS.
lab_up() {
	local start_ms rc ms
	local router=()
	lab_ports_guard "$@"
	[ -n "$LAB_ROUTER_PORT" ] && router=(--router-port "$LAB_ROUTER_PORT")
	start_ms=$(($(date +%s%N) / 1000000))
	LAB_UP_OUT=$("$PGHA" up --dir "$LAB_DIR" "${router[@]}" "$@" 2>&1)
	rc=$?
	ms=$(($(date +%s%N) / 1000000 - start_ms))
	LAB_UP_SECONDS=$(printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)))
	return $rc
}

# lab_start BASE_PORT [ARGS...]: lab_init + lab_up, the router at BASE+8 and BASE+9;
# bails out if the cluster does not come up.
lab_start() {
	local base=$1
	shift
	lab_init
	LAB_BASE=$base
	LAB_ROUTER_PORT=$((base + 8))
	if ! lab_up --base-port "$base" "$@"; then
		printf '%s\n' "$LAB_UP_OUT" | sed 's/^/# /'
		lab_dump_logs
		bail "pgha up failed"
	fi
	diag "pgha up: healthy in ${LAB_UP_SECONDS} s"
}

# lab_down [ARGS...]: pgha down on LAB_DIR.
lab_down() { "$PGHA" down --dir "$LAB_DIR" "$@"; }

# lab_dump_logs: the tail of every log of the lab, as TAP comments.
lab_dump_logs() {
	local f
	for f in "$LAB_DIR"/logs/*.log "$LAB_DIR"/node*/*.log; do
		[ -f "$f" ] || continue
		diag "--- $f"
		tail -n "${LOG_LINES:-20}" "$f" | sed 's/^/#   /'
	done
}

# cluster_json EXPR: a value of cluster.json (python expression on `c`).
cluster_json() {
	python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print($1)" "$LAB_DIR/cluster.json"
}

# lab_pgha: the pgha binary the lab runs, its own copy (DIR/bin/pgha): what to run as the
# lab's OS user, who may not reach $PGHA (a checkout in a 0700 home).
lab_pgha() { cluster_json "c['binaries']['pgha']"; }

# lab_port NODE KIND: KIND is pg_port, api_port or pgbouncer_port.
lab_port() {
	cluster_json "[n['$2'] for n in c['ports']['nodes'] if n['name']=='$1'][0]"
}

# lab_etcd_hosts: "https://127.0.0.1:P1,https://127.0.0.1:P2,https://127.0.0.1:P3" (http
# in a lab made with --insecure): etcdctl's --endpoints.
lab_etcd_hosts() {
	cluster_json "','.join(c['etcd'])"
}

# lab_etcdctl ARGS...: etcdctl (v3) on the lab's etcd, logged in as the lab's etcd user
# and checking its CA; the password goes through the environment, never the command line.
lab_etcdctl() {
	local user=""
	[ -f "$LAB_DIR/secrets/etcd" ] && user="pgha:$(cat "$LAB_DIR/secrets/etcd")"
	ETCDCTL_API=3 ETCDCTL_USER=$user ETCDCTL_CACERT=$(lab_ca_or_empty) \
		etcdctl --endpoints="$(lab_etcd_hosts)" --dial-timeout=2s --command-timeout=5s "$@"
}

# lab_ca_or_empty: the lab's CA file, or "" in a lab without TLS.
lab_ca_or_empty() {
	if [ -f "$LAB_DIR/tls/ca.crt" ]; then echo "$LAB_DIR/tls/ca.crt"; fi
}

# lab_api NODE: the base URL of NODE's REST API ("https://127.0.0.1:PORT").
lab_api() {
	local scheme=https
	[ -f "$LAB_DIR/tls/ca.crt" ] || scheme=http
	echo "$scheme://127.0.0.1:$(lab_port "$1" api_port)"
}

# lab_curl ARGS...: curl trusting the lab's CA (and no proxy); -s, the rest as given.
lab_curl() {
	local ca
	ca=$(lab_ca_or_empty)
	curl -s --noproxy '*' ${ca:+--cacert "$ca"} "$@"
}

# lab_router_port rw|ro|http: the router's port of that kind.
lab_router_port() { cluster_json "c['ports']['router']['$1_port']"; }

lab_list_json() { "$PGHA" list --dir "$LAB_DIR" --json; }

# list_json EXPR: a value of `pgha list --json` (python expression on `j`).
list_json() {
	lab_list_json | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

lab_leader() { list_json "j['leader']"; }

# lab_member_state NAME: the member's state in `pgha list --json` ("" if absent).
lab_member_state() {
	list_json "next((m['state'] for m in j['members'] if m['name']=='$1'), '')"
}

# lab_replicas: names of the members that are not the leader, one a line.
lab_replicas() {
	list_json "'\n'.join(m['name'] for m in j['members'] if m['role']!='leader')"
}

# lab_healthy: one leader and every other member streaming.
lab_healthy() {
	[ "$(list_json "sum(m['role']=='leader' for m in j['members'])")" = 1 ] &&
		[ "$(list_json "all(m['state']=='streaming' for m in j['members'] if m['role']!='leader')")" = True ]
}

# lab_psql SERVICE SQL: one query through pg_service.conf (rw, ro, node1...); tuples only.
# The services carry sslmode=verify-full and the lab's CA (pgha up writes them so).
lab_psql() {
	PGSERVICEFILE=$LAB_DIR/pg_service.conf psql "service=$1" -X -A -t -q -v ON_ERROR_STOP=1 -c "$2"
}

# lab_agent_pid NODE
lab_agent_pid() { head -n 1 "$LAB_DIR/run/$1.pid" 2>/dev/null; }
