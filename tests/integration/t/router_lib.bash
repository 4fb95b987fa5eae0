# router_lib.bash: helpers for the router's integration tests (sourced, not run).
#
# A hand-made cluster: etcd (one member), N PostgreSQL instances (n1 primary, the
# others streaming replicas, run as the postgres OS user), a PgBouncer per member, a
# fake REST API per member (Python) answering /primary and /replica from a role file,
# and Patroni-format keys in etcd. Everything runs on 127.0.0.1 with ports from
# RT_BASE (default 32400); everything started is stopped by pid at exit, and the
# temporary directory removed.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGHA=${PGHA:-$top/pgha}
RT_BASE=${RT_BASE:-32400}
RT_ETCD=$((RT_BASE + 1))
RT_RW=$((RT_BASE + 31))
RT_RO=$((RT_BASE + 32))
RT_HTTP=$((RT_BASE + 33))
RT_SCOPE=rt
RT_PREFIX=/service/$RT_SCOPE
RT_DIR=$(mktemp -d /tmp/pgha-router-it.XXXXXX)
chmod 755 "$RT_DIR"
RT_PIDS=()
RT_ROUTER_PID=
RT_ROUTER_RC=
RT_N=0
RT_WRITER_PID=
RT_ROUTER_WRAP=${RT_ROUTER_WRAP:-}
_tap_n=0
_tap_failed=0

# --- TAP -------------------------------------------------------------------------------

ok() { # ok VALUE-NON-EMPTY NAME
	_tap_n=$((_tap_n + 1))
	if [ -n "$1" ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}
is() { # is GOT WANT NAME
	_tap_n=$((_tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
		_tap_failed=$((_tap_failed + 1))
	fi
}
like() { # like TEXT REGEX NAME
	_tap_n=$((_tap_n + 1))
	if printf '%s\n' "$1" | grep -qE -- "$2"; then
		echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"
		echo "#   no match for: $2"
		printf '%s\n' "$1" | head -20 | sed 's/^/#   | /'
		_tap_failed=$((_tap_failed + 1))
	fi
}
diag() { echo "# $*"; }
bail() {
	echo "Bail out! $*"
	for f in "$RT_DIR"/*.log; do
		[ -f "$f" ] && { echo "# --- $f"; tail -20 "$f" | sed 's/^/# /'; }
	done
	exit 1
}
done_testing() {
	echo "1..$_tap_n"
	[ $_tap_failed -eq 0 ] || {
		echo "# $_tap_failed of $_tap_n failed; router log tail:"
		tail -30 "$RT_DIR/router.log" 2>/dev/null | sed 's/^/# /'
	}
	echo "$((_tap_n - _tap_failed)) passed, $_tap_failed failed"
	[ $_tap_failed -eq 0 ]
	exit $?
}

# --- cleanup -----------------------------------------------------------------------------

rt_cleanup() {
	[ -n "$RT_WRITER_PID" ] && kill "$RT_WRITER_PID" 2>/dev/null
	[ -n "$RT_ROUTER_PID" ] && kill -9 "$RT_ROUTER_PID" 2>/dev/null
	for i in $(seq 1 "$RT_N"); do
		[ -f "$RT_DIR/n$i/postmaster.pid" ] &&
			kill -9 "$(head -1 "$RT_DIR/n$i/postmaster.pid")" 2>/dev/null
	done
	for p in "${RT_PIDS[@]}"; do
		{
			kill -9 "$p"
			wait "$p"
		} 2>/dev/null
	done
	rm -rf "$RT_DIR"
}
trap rt_cleanup EXIT

# --- small helpers ------------------------------------------------------------------------

rt_wait() { # rt_wait SECONDS CMD...: polls CMD every 0.1 s; status of the last try
	local deadline=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while ! "$@"; do
		[ "$(date +%s%N)" -ge $deadline ] && return 1
		sleep 0.1
	done
}
rt_pid_gone() { ! kill -0 "$1" 2>/dev/null; }
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
rt_pg_port() { echo $((RT_BASE + 10 + $1)); }
rt_bouncer_port() { echo $((RT_BASE + 20 + $1)); }
rt_api_port() { echo $((RT_BASE + 40 + $1)); }
rt_etcd() { ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$RT_ETCD" "$@"; }
rt_sql() { # rt_sql PORT SQL: one connection, one statement, unaligned output
	PGCONNECT_TIMEOUT=30 "$PGBIN/psql" -X -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atqc "$2"
}
rt_role() { echo "$2" >"$RT_DIR/role.n$1"; }

# --- etcd --------------------------------------------------------------------------------

rt_start_etcd() {
	etcd --name rt --data-dir "$RT_DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$RT_ETCD" \
		--advertise-client-urls "http://127.0.0.1:$RT_ETCD" \
		--listen-peer-urls "http://127.0.0.1:$((RT_ETCD + 1))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((RT_ETCD + 1))" \
		--initial-cluster "rt=http://127.0.0.1:$((RT_ETCD + 1))" \
		>"$RT_DIR/etcd.log" 2>&1 &
	RT_PIDS+=($!)
	rt_wait 20 rt_etcd endpoint health >/dev/null 2>&1
}

rt_member_json() { # rt_member_json I ROLE
	printf '{"conn_url":"postgres://127.0.0.1:%d/postgres","api_url":"http://127.0.0.1:%d/patroni","state":"running","role":"%s","version":"3.0.2","pooler":"127.0.0.1:%d"}' \
		"$(rt_pg_port "$1")" "$(rt_api_port "$1")" "$2" "$(rt_bouncer_port "$1")"
}

# --- PostgreSQL, PgBouncer, fake REST API ---------------------------------------------------

rt_pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$RT_DIR/n$1" -l "$RT_DIR/pg$1.log" -w -t 60 start >/dev/null
}
rt_pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$RT_DIR/n$1" -m "$2" -w -t 60 stop >/dev/null; }
rt_pg_promote() { as_pg "$PGBIN/pg_ctl" -D "$RT_DIR/n$1" -w -t 60 promote >/dev/null; }

rt_pg_conf() { # rt_pg_conf I: settings of member I (fast, not durable: a test cluster)
	cat >>"$RT_DIR/n$1/postgresql.conf" <<-EOF
		port = $(rt_pg_port "$1")
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$RT_DIR/n$1'
		fsync = off
		full_page_writes = off
		max_connections = 200
		wal_keep_size = '256MB'
		shared_buffers = '32MB'
	EOF
}

rt_pg_init_primary() {
	as_pg "$PGBIN/initdb" -D "$RT_DIR/n1" -U postgres -A trust --no-sync >"$RT_DIR/initdb.log" 2>&1 || return 1
	echo "host replication all 127.0.0.1/32 trust" >>"$RT_DIR/n1/pg_hba.conf"
	rt_pg_conf 1
	rt_pg_start 1
}

rt_pg_clone() { # rt_pg_clone I: a streaming replica of n1
	as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$(rt_pg_port 1)" -U postgres -D "$RT_DIR/n$1" \
		-R -X stream --no-sync >>"$RT_DIR/basebackup.log" 2>&1 || return 1
	sed -i '/^port = /d;/^unix_socket_directories/d' "$RT_DIR/n$1/postgresql.conf"
	rt_pg_conf "$1"
	rt_pg_start "$1"
}

rt_pg_repoint() { # rt_pg_repoint I J: member I streams from member J
	sed -i "s/port=$(rt_pg_port 1)/port=$(rt_pg_port "$2")/" "$RT_DIR/n$1/postgresql.auto.conf"
	as_pg "$PGBIN/pg_ctl" -D "$RT_DIR/n$1" reload >/dev/null
}

rt_start_bouncer() {
	local d="$RT_DIR/bouncer$1"
	mkdir -p "$d"
	echo '"postgres" ""' >"$d/users.txt"
	cat >"$d/pgbouncer.ini" <<-EOF
		[databases]
		* = host=127.0.0.1 port=$(rt_pg_port "$1")
		[pgbouncer]
		listen_addr = 127.0.0.1
		listen_port = $(rt_bouncer_port "$1")
		unix_socket_dir =
		auth_type = trust
		auth_file = $d/users.txt
		pool_mode = session
		max_client_conn = 4000
		default_pool_size = 40
		ignore_startup_parameters = extra_float_digits
		server_login_retry = 1
		logfile = $d/pgbouncer.log
	EOF
	chown -R postgres "$d"
	# setpriv execs: $! is PgBouncer itself, so it can be stopped by pid.
	setpriv --reuid=postgres --regid=postgres --init-groups -- pgbouncer "$d/pgbouncer.ini" >/dev/null 2>&1 &
	RT_PIDS+=($!)
}

rt_start_apis() {
	cat >"$RT_DIR/api.py" <<-'EOF'
		# Fake Patroni REST API: /primary and /replica from role.<name> files.
		import http.server, socketserver, sys, threading, os
		d = sys.argv[1]
		class H(http.server.BaseHTTPRequestHandler):
		    def status(self):
		        try:
		            role = open(os.path.join(d, "role." + self.server.name)).read().strip()
		        except OSError:
		            role = "down"
		        path = self.path.split("?")[0]
		        if role == "down":
		            return None
		        if path == "/primary":
		            return 200 if role == "primary" else 503
		        if path == "/replica":
		            return 200 if role == "replica" else 503
		        return 404
		    def answer(self, body):
		        code = self.status()
		        if code is None:
		            self.close_connection = True
		            self.connection.close()
		            return
		        self.send_response(code)
		        self.send_header("Content-Length", "2" if body else "0")
		        self.end_headers()
		        if body:
		            self.wfile.write(b"{}")
		    def do_GET(self): self.answer(True)
		    def do_HEAD(self): self.answer(False)
		    def log_message(self, *a): pass
		class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
		    daemon_threads = True
		    allow_reuse_address = True
		servers = []
		for spec in sys.argv[2:]:
		    name, port = spec.split(":")
		    s = S(("127.0.0.1", int(port)), H)
		    s.name = name
		    threading.Thread(target=s.serve_forever, daemon=True).start()
		    servers.append(s)
		threading.Event().wait()
	EOF
	local specs=""
	for i in $(seq 1 "$RT_N"); do specs="$specs n$i:$(rt_api_port "$i")"; done
	python3 "$RT_DIR/api.py" "$RT_DIR" $specs >"$RT_DIR/api.log" 2>&1 &
	RT_PIDS+=($!)
}

rt_setup_cluster() { # rt_setup_cluster N: n1 primary, n2..nN replicas, keys in etcd
	RT_N=$1
	chown postgres "$RT_DIR"
	rt_start_etcd || return 1
	rt_pg_init_primary || return 1
	rt_role 1 primary
	for i in $(seq 2 "$RT_N"); do
		rt_pg_clone "$i" || return 1
		rt_role "$i" replica
	done
	for i in $(seq 1 "$RT_N"); do rt_start_bouncer "$i"; done
	rt_start_apis
	for i in $(seq 1 "$RT_N"); do
		local role=replica
		[ "$i" = 1 ] && role=primary
		rt_etcd put "$RT_PREFIX/members/n$i" "$(rt_member_json "$i" $role)" >/dev/null || return 1
	done
	rt_etcd put "$RT_PREFIX/leader" n1 >/dev/null
}

# --- the router ----------------------------------------------------------------------------------

rt_write_router_conf() { # rt_write_router_conf [key=value...]: router: section overrides
	{
		echo "scope: $RT_SCOPE"
		echo "namespace: /service/"
		echo "etcd3:"
		echo "  hosts: 127.0.0.1:$RT_ETCD"
		echo "router:"
		echo "  rw_listen: 127.0.0.1:$RT_RW"
		echo "  ro_listen: 127.0.0.1:$RT_RO"
		echo "  http_listen: 127.0.0.1:$RT_HTTP"
		echo "  check_interval: 200"
		for kv in "$@"; do echo "  ${kv%%=*}: ${kv#*=}"; done
	} >"$RT_DIR/router.yml"
}

rt_start_router() { # rt_start_router [key=value...]
	rt_write_router_conf "$@"
	$RT_ROUTER_WRAP "$PGHA" router -c "$RT_DIR/router.yml" >>"$RT_DIR/router.log" 2>&1 &
	RT_ROUTER_PID=$!
	rt_wait 10 curl -s -o /dev/null "http://127.0.0.1:$RT_HTTP/health"
}

rt_stop_router() {
	kill -TERM "$RT_ROUTER_PID"
	wait "$RT_ROUTER_PID"
	# shellcheck disable=SC2034 # read by the scripts that source this file
	RT_ROUTER_RC=$?
	RT_ROUTER_PID=
}

rt_health_code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RT_HTTP/health"; }
rt_rw_ok() { [ "$(rt_health_code)" = 200 ]; }
rt_rw_down() { [ "$(rt_health_code)" = 503 ]; }
rt_ro_count_is() { curl -s "http://127.0.0.1:$RT_HTTP/health" | grep -q "\"ro_targets\":$1,"; }
rt_metric() { # rt_metric REGEX: value of the first /metrics line matching
	curl -s "http://127.0.0.1:$RT_HTTP/metrics" | grep -E -- "$1" | head -1 | awk '{print $NF}'
}
rt_rw_sessions_are() { # rt_rw_sessions_are N MEMBER
	[ "$(rt_metric "^pgha_router_target_sessions\\{target=\"$2\".*listener=\"rw\"")" = "$1" ]
}
rt_ro_sessions_are() { # rt_ro_sessions_are N MEMBER
	[ "$(rt_metric "^pgha_router_target_sessions\\{target=\"$2\".*listener=\"ro\"")" = "$1" ]
}
rt_switchover_pending() { curl -s "http://127.0.0.1:$RT_HTTP/health" | grep -q '"switchover_pending":true'; }

# --- write load ------------------------------------------------------------------------------------

rt_writer_start() { # rt_writer_start PORT FILE: one new connection per insert; acks to FILE
	: >"$2"
	rm -f "$RT_DIR/writer.stop"
	(
		i=0
		errors=0
		while [ ! -f "$RT_DIR/writer.stop" ]; do
			i=$((i + 1))
			if rt_sql "$1" "insert into t values ($i)" >/dev/null 2>>"$2.log"; then
				echo "$i" >>"$2"
			else
				errors=$((errors + 1))
			fi
		done
		echo "$errors" >"$2.errors"
	) &
	RT_WRITER_PID=$!
}

rt_writer_stop() {
	touch "$RT_DIR/writer.stop"
	wait "$RT_WRITER_PID"
	RT_WRITER_PID=
}

rt_switchover() { # rt_switchover FROM TO: what an agent does, in Patroni's order
	rt_etcd put "$RT_PREFIX/failover" "{\"leader\":\"n$1\",\"member\":\"n$2\"}" >/dev/null
	rt_wait 5 rt_switchover_pending
	sleep 0.3 # sessions opened before the request finish their statement
	rt_pg_stop "$1" fast
	rt_role "$1" down
	rt_etcd del "$RT_PREFIX/leader" >/dev/null
	rt_pg_promote "$2"
	rt_role "$2" primary
	rt_etcd put "$RT_PREFIX/members/n$2" "$(rt_member_json "$2" primary)" >/dev/null
	rt_etcd put "$RT_PREFIX/leader" "n$2" >/dev/null
	rt_etcd put "$RT_PREFIX/failover" "{}" >/dev/null
}
