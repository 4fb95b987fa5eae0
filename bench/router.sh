#!/bin/bash
# bench/router.sh: pgbench through the pgha router vs HAProxy vs straight to PgBouncer.
#
# Starts (by pid, in a temp dir) etcd, one PostgreSQL primary, its PgBouncer, a fake
# REST API answering /primary, the router (./pgha router) and HAProxy, all on
# 127.0.0.1, then runs `pgbench -S` in two modes, interleaved per round so that
# drift hits every path alike:
#   steady  - persistent connections (-c CLIENTS)
#   connect - a new connection per transaction (-C)
# and prints the median tps of each path and the ratios router/haproxy and
# router/direct, then the router's resident memory with 1,000 idle clients.
# Builds nothing: run `make` first. Stops everything it started, by pid.
#
# TLS, as a pgha lab runs it (the default): PgBouncer requires TLS (a throw-away CA
# made here signs its certificate), and every client (pgbench, psql) connects with
# sslmode=verify-full: the router and HAProxy relay the encrypted session, so each path
# pays the same handshakes (in connect mode, one per transaction). --no-tls runs the
# same without TLS, for the comparison.
#
# With --dir LAB it uses a running `pgha up` lab instead of starting PostgreSQL,
# PgBouncer and etcd: the leader's PgBouncer is "direct", and the router (started
# here) learns the lab's cluster from its etcd. Alongside tps it prints the CPU time
# the router and HAProxy processes spent per transaction, which is much less noisy
# than tps on a shared machine.
#
# usage: bench/router.sh [--rounds N] [--seconds S] [--clients C] [--pgha PATH]
#                        [--base-port P] [--dir LAB] [--no-tls] [--serve]
# --serve starts everything, prints the ports and waits (for profiling by hand).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGHA=$top/pgha
ROUNDS=5
SECS=5
CLIENTS=8
BASE=32600
SERVE=0
LAB=
SCOPE=bench
NS=/service/
PGUSER=postgres
TLS=1
export PGUSER
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--clients) CLIENTS=$2; shift 2 ;;
	--pgha) PGHA=$2; shift 2 ;;
	--base-port) BASE=$2; shift 2 ;;
	--serve) SERVE=1; shift ;;
	--dir) LAB=$2; shift 2 ;;
	--no-tls) TLS=0; shift ;;
	-h | --help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
PG_PORT=$((BASE + 1))
BOUNCER=$((BASE + 2))
API=$((BASE + 3))
ETCD=$((BASE + 4))
RW=$((BASE + 6))
RO=$((BASE + 7))
HTTP=$((BASE + 8))
HAPROXY=$((BASE + 9))
DIR=$(mktemp -d /tmp/pgha-bench-router.XXXXXX)
chmod 755 "$DIR"
chown postgres "$DIR"
PIDS=()
PG_STARTED=0

cleanup() {
	for p in "${PIDS[@]}"; do
		{
			kill -TERM "$p"
			wait "$p"
		} 2>/dev/null
	done
	[ $PG_STARTED = 1 ] && as_pg "$PGBIN/pg_ctl" -D "$DIR/pg" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$DIR"
}
trap cleanup EXIT
die() {
	echo "bench: $*" >&2
	for f in "$DIR"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; } >&2; done
	exit 1
}
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
wait_for() { # wait_for SECONDS CMD...
	local end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.1
	done
}
[ -x "$PGHA" ] || die "$PGHA not found: run make first"
for tool in etcd haproxy pgbouncer pgbench python3; do
	command -v $tool >/dev/null || die "$tool is not installed"
done

# --- the pieces ---------------------------------------------------------------------------

# make_certs: a throw-away CA and PgBouncer's certificate for 127.0.0.1; every client
# then checks it (sslmode=verify-full, through the environment libpq reads).
make_certs() {
	(
		umask 077
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
			-days 1 -subj /CN=bench-ca -keyout "$DIR/ca.key" -out "$DIR/ca.crt" &&
			openssl req -x509 -new -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -newkey ec \
				-pkeyopt ec_paramgen_curve:prime256v1 -noenc -days 1 -subj /CN=bouncer \
				-addext subjectAltName=IP:127.0.0.1 -keyout "$DIR/bouncer.key" \
				-out "$DIR/bouncer.crt"
	) >"$DIR/openssl.log" 2>&1 || die "cannot make the certificates"
	chown postgres "$DIR/bouncer.key" "$DIR/bouncer.crt"
	export PGSSLMODE=verify-full PGSSLROOTCERT=$DIR/ca.crt
}

start_postgres() {
	as_pg "$PGBIN/initdb" -D "$DIR/pg" -U postgres -A trust --no-sync >"$DIR/initdb.log" 2>&1 ||
		die "initdb failed"
	cat >>"$DIR/pg/postgresql.conf" <<-EOF
		port = $PG_PORT
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$DIR/pg'
		max_connections = 300
		shared_buffers = '128MB'
		fsync = off
	EOF
	as_pg "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w start >/dev/null || die "postgres did not start"
	PG_STARTED=1
	"$PGBIN/pgbench" -i -s 10 -q -h 127.0.0.1 -p $PG_PORT -U postgres postgres >"$DIR/init.log" 2>&1 ||
		die "pgbench -i failed"
}

# use_lab: a running `pgha up` lab: etcd endpoints, scope and namespace from its
# cluster.json, the superuser password from its pgpass, the leader's PgBouncer from etcd.
use_lab() {
	[ -f "$LAB/cluster.json" ] || die "$LAB/cluster.json not found: is it a pgha up directory?"
	read -r SCOPE NS ETCD_HOSTS < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
hosts = ",".join(c["etcd"])  # http(s)://host:port
print(c["scope"], c["namespace"], hosts)' "$LAB/cluster.json") || die "cannot read $LAB/cluster.json"
	PGPASSWORD=$(head -1 "$LAB/pgpass" | awk -F: '{print $NF}')
	PGUSER=$(head -1 "$LAB/pgpass" | awk -F: '{print $4}')
	export PGPASSWORD PGUSER
	# A TLS lab (the default): its CA for PostgreSQL and etcd, etcd's user for etcdctl
	# and the router (through the environment, never the command line).
	if [ -f "$LAB/tls/ca.crt" ]; then
		ETCD_TLS=$LAB/tls/ca.crt
		export PGSSLMODE=verify-full PGSSLROOTCERT=$LAB/tls/ca.crt ETCDCTL_CACERT=$ETCD_TLS
	fi
	if [ -f "$LAB/secrets/etcd" ]; then
		PATRONI_ETCD3_PASSWORD=$(cat "$LAB/secrets/etcd")
		ETCDCTL_USER="pgha:$PATRONI_ETCD3_PASSWORD"
		export PATRONI_ETCD3_PASSWORD ETCDCTL_USER PATRONI_ETCD3_USERNAME=pgha
	fi
	local e="env ETCDCTL_API=3 etcdctl --endpoints=$ETCD_HOSTS"
	local leader member
	leader=$($e get "$NS$SCOPE/leader" --print-value-only) || die "cannot read the leader key"
	member=$($e get "$NS$SCOPE/members/$leader" --print-value-only)
	BOUNCER=$(echo "$member" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pooler"].rsplit(":",1)[1])') ||
		die "the leader $leader publishes no pooler"
	echo "lab $LAB: scope $SCOPE, leader $leader, its PgBouncer on port $BOUNCER"
	"$PGBIN/psql" -h 127.0.0.1 -p "$BOUNCER" -d postgres -Atc 'select 1 from pgbench_accounts limit 1' \
		>/dev/null 2>&1 || "$PGBIN/pgbench" -i -s 10 -q -h 127.0.0.1 -p "$BOUNCER" postgres \
		>"$DIR/init.log" 2>&1 || die "pgbench -i through $BOUNCER failed"
}

start_bouncer() {
	local tls=""
	echo '"postgres" ""' >"$DIR/users.txt"
	[ "$TLS" = 1 ] && tls="client_tls_sslmode = require
client_tls_cert_file = $DIR/bouncer.crt
client_tls_key_file = $DIR/bouncer.key"
	cat >"$DIR/pgbouncer.ini" <<-EOF
		[databases]
		* = host=127.0.0.1 port=$PG_PORT
		[pgbouncer]
		listen_addr = 127.0.0.1
		listen_port = $BOUNCER
		unix_socket_dir =
		auth_type = trust
		auth_file = $DIR/users.txt
		pool_mode = session
		max_client_conn = 5000
		default_pool_size = 64
		logfile = $DIR/pgbouncer.log
		log_connections = 0
		log_disconnections = 0
		$tls
	EOF
	chown postgres "$DIR/pgbouncer.ini" "$DIR/users.txt"
	# setpriv execs: $! is PgBouncer itself, so it can be stopped by pid.
	setpriv --reuid=postgres --regid=postgres --init-groups -- pgbouncer "$DIR/pgbouncer.ini" >/dev/null 2>&1 &
	PIDS+=("$!")
	wait_for 10 "$PGBIN/psql" -h 127.0.0.1 -p $BOUNCER -U postgres -Atc 'select 1' postgres ||
		die "pgbouncer did not start"
}

start_etcd_and_api() {
	etcd --name b --data-dir "$DIR/etcd" --listen-client-urls "http://127.0.0.1:$ETCD" \
		--advertise-client-urls "http://127.0.0.1:$ETCD" \
		--listen-peer-urls "http://127.0.0.1:$((ETCD + 1))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((ETCD + 1))" \
		--initial-cluster "b=http://127.0.0.1:$((ETCD + 1))" >"$DIR/etcd.log" 2>&1 &
	PIDS+=("$!")
	wait_for 20 env ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD endpoint health ||
		die "etcd did not start"
	# The member's REST API: /primary is always 200 (a one-node "cluster").
	python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.send_response(200 if self.path.startswith("/primary") else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_HEAD = answer
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' $API >"$DIR/api.log" 2>&1 &
	PIDS+=("$!")
	local e="env ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD"
	ETCD_HOSTS=127.0.0.1:$ETCD
	if ! $e put /service/bench/members/pg1 "{\"conn_url\":\"postgres://127.0.0.1:$PG_PORT/postgres\",\"api_url\":\"http://127.0.0.1:$API/patroni\",\"state\":\"running\",\"role\":\"primary\",\"pooler\":\"127.0.0.1:$BOUNCER\"}" >/dev/null ||
		! $e put /service/bench/leader pg1 >/dev/null; then
		die "cannot write the cluster keys"
	fi
}

start_router() {
	local tls=""
	# The lab's etcd and REST APIs over https: the router checks them against its CA.
	[ -n "${ETCD_TLS:-}" ] && tls="  protocol: https
  cacert: $ETCD_TLS
ctl:
  cacert: $ETCD_TLS"
	cat >"$DIR/router.yml" <<-EOF
		scope: $SCOPE
		namespace: $NS
		etcd3:
		  hosts: $ETCD_HOSTS
		$tls
		router:
		  rw_listen: 127.0.0.1:$RW
		  ro_listen: 127.0.0.1:$RO
		  http_listen: 127.0.0.1:$HTTP
	EOF
	"$PGHA" router -c "$DIR/router.yml" >"$DIR/router.log" 2>&1 &
	ROUTER_PID=$!
	PIDS+=("$ROUTER_PID")
	wait_for 15 sh -c "curl -sf http://127.0.0.1:$HTTP/health" || die "the router has no RW target"
}

start_haproxy() {
	cat >"$DIR/haproxy.cfg" <<-EOF
		global
		  maxconn 4000
		defaults
		  mode tcp
		  timeout connect 5s
		  timeout client 1h
		  timeout server 1h
		listen pg
		  bind 127.0.0.1:$HAPROXY
		  server bouncer 127.0.0.1:$BOUNCER
	EOF
	haproxy -f "$DIR/haproxy.cfg" -db >"$DIR/haproxy.log" 2>&1 &
	HAPROXY_PID=$!
	PIDS+=("$HAPROXY_PID")
	wait_for 10 "$PGBIN/psql" -h 127.0.0.1 -p $HAPROXY -Atc 'select 1' postgres ||
		die "haproxy did not start"
}

# --- measuring ------------------------------------------------------------------------------

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run PORT MODE [PID]: pgbench; prints "tps cpu_us_per_tx" (cpu of PID's process, or 0).
run() {
	local extra="" out tx c0=0 c1=0
	[ "$2" = connect ] && extra="-C"
	[ -n "${3:-}" ] && c0=$(cpu_ticks "$3")
	out=$("$PGBIN/pgbench" -n -S -h 127.0.0.1 -p "$1" -c "$CLIENTS" -j 2 -T "$SECS" $extra \
		postgres 2>>"$DIR/pgbench.err")
	[ -n "${3:-}" ] && c1=$(cpu_ticks "$3")
	tx=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
	printf '%s %s\n' "$(echo "$out" | sed -n 's/^tps = \([0-9]*\).*/\1/p')" \
		"$(awk -v t="$((c1 - c0))" -v n="${tx:-0}" -v hz="$(getconf CLK_TCK)" \
			'BEGIN {printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0)}')"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0 ? "%.2f" : "-"), a / b}'; }

run_rounds() {
	declare -gA R C
	local v
	for mode in steady connect; do
		for path in direct router haproxy; do R[$mode.$path]=""; C[$mode.$path]=""; done
	done
	for round in $(seq 1 "$ROUNDS"); do
		for mode in steady connect; do
			v=$(run $BOUNCER $mode)
			R[$mode.direct]+=" ${v% *}"
			v=$(run $RW $mode "$ROUTER_PID")
			R[$mode.router]+=" ${v% *}"
			C[$mode.router]+=" ${v#* }"
			v=$(run $HAPROXY $mode "$HAPROXY_PID")
			R[$mode.haproxy]+=" ${v% *}"
			C[$mode.haproxy]+=" ${v#* }"
		done
		echo "round $round/$ROUNDS: steady ${R[steady.direct]##* }/${R[steady.router]##* }/${R[steady.haproxy]##* }" \
			"connect ${R[connect.direct]##* }/${R[connect.router]##* }/${R[connect.haproxy]##* } (direct/router/haproxy tps)"
	done
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

idle_rss() { # the router's RSS before and with 1,000 idle client connections
	local before after
	before=$(rss_kb "$ROUTER_PID")
	python3 -c '
import socket, sys, time
socks = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    socks.append(s)
print("ready", flush=True)
sys.stdin.read()
' $RW >"$DIR/idle.out" 2>"$DIR/idle.err" <&- &
	local idle_pid=$!
	PIDS+=("$idle_pid")
	wait_for 30 grep -q ready "$DIR/idle.out" || die "could not open 1,000 idle connections"
	sleep 1
	after=$(rss_kb "$ROUTER_PID")
	kill $idle_pid 2>/dev/null
	echo "$before $after"
}

if [ -n "$LAB" ]; then
	use_lab
else
	start_postgres
	[ "$TLS" = 1 ] && make_certs
	start_bouncer
	start_etcd_and_api
fi
start_router
start_haproxy
if [ $SERVE = 1 ]; then
	echo "serving: direct $BOUNCER router $RW (pid $ROUTER_PID, http $HTTP) haproxy $HAPROXY postgres $PG_PORT"
	trap 'exit 0' TERM INT
	sleep 100000 &
	wait $!
	exit 0
fi
echo "pgbench -S, $CLIENTS clients, ${SECS}s per run, $ROUNDS rounds, $(nproc) cores," \
	"TLS ${PGSSLMODE:-off}"
run_rounds
printf '\n%-8s %9s %9s %9s %15s %14s %17s %18s\n' mode direct router haproxy router/haproxy \
	router/direct "router cpu us/tx" "haproxy cpu us/tx"
for mode in steady connect; do
	d=$(echo "${R[$mode.direct]}" | median)
	r=$(echo "${R[$mode.router]}" | median)
	h=$(echo "${R[$mode.haproxy]}" | median)
	printf '%-8s %9s %9s %9s %15s %14s %17s %18s\n' $mode "$d" "$r" "$h" "$(ratio "$r" "$h")" \
		"$(ratio "$r" "$d")" "$(echo "${C[$mode.router]}" | median)" \
		"$(echo "${C[$mode.haproxy]}" | median)"
done
read -r rss0 rss1 < <(idle_rss)
echo
echo "router RSS: ${rss0} kB at rest, ${rss1} kB with 1,000 idle client connections" \
	"($(((rss1 - rss0) * 1024 / 1000)) bytes per connection)"
