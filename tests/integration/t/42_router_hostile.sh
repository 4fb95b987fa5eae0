#!/bin/bash
# 42_router_hostile.sh: hostile clients and broken backends affect only their own
# session; running out of file descriptors is survived without spinning.
#
# One primary and two replicas behind PgBouncer (see router_lib.bash), plus fake
# backends written in Python: one that resets every connection, one that never
# completes a handshake. Clients: garbage, silent, half-closing, vanishing (RST), a
# flood of short ones, and a slow reader of a large result (backpressure must bound the
# router's memory). At the door: login_timeout, a bad first message, client_idle_timeout,
# max_clients_per_address, hold_timeout, each answered with a FATAL ErrorResponse and
# its SQLSTATE; TCP keepalive on both sides; CancelRequests on 5433 and 5432 reach the
# server that runs the query. After each, a normal client must still get through at
# once. Ports: 32400-32499.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
RT_BASE=${RT_BASE:-32450}
. "$top/tests/integration/t/router_lib.bash"

cat >"$RT_DIR/hostile.py" <<'EOF'
# Hostile clients and fake backends for 42_router_hostile.sh.
import os, socket, struct, sys, time

HOST = "127.0.0.1"

def startup():
    body = struct.pack("!I", 196608) + b"user\0postgres\0database\0postgres\0\0"
    return struct.pack("!I", len(body) + 4) + body

def wait_closed(s, timeout):
    """True if the peer closes s (EOF or reset) within timeout seconds."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

def bad_first(port):
    s = socket.create_connection((HOST, port))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    print(outcome(read_messages(s, 10)))

def garbage(port):
    s = socket.create_connection((HOST, port))
    s.sendall(os.urandom(65536))
    print("closed" if wait_closed(s, 10) else "open")

def half_close(port):
    s = socket.create_connection((HOST, port))
    s.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")  # SSLRequest
    s.shutdown(socket.SHUT_WR)
    # PgBouncer answers 'N' to the SSLRequest, then sees our EOF and closes.
    s.settimeout(10)
    data = b""
    try:
        while True:
            chunk = s.recv(100)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    print("answered-and-closed" if data[:1] == b"N" else "got %r" % data[:20])

def vanish(port, n):
    for _ in range(n):
        s = socket.create_connection((HOST, port))
        s.sendall(startup()[:5])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
    print("done")

def flood(port, n):
    for _ in range(n):
        s = socket.create_connection((HOST, port))
        s.close()
    print("done")

def silent(port, n, secs):
    socks = [socket.create_connection((HOST, port)) for _ in range(n)]
    print("open", flush=True)
    time.sleep(secs)
    for s in socks:
        s.close()

def slow_reader(port, secs):
    s = socket.create_connection((HOST, port))
    s.sendall(startup())
    s.settimeout(10)
    buf = b""
    while b"Z\0\0\0\5" not in buf:  # ReadyForQuery
        buf += s.recv(65536)
    q = b"select repeat('x', 1000000) from generate_series(1, 200)\0"
    s.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
    print("reading nothing", flush=True)
    time.sleep(secs)
    got = 0
    s.settimeout(30)
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
        if b"Z\0\0\0\5" in chunk[-16:]:
            break
    print("read %d MB" % (got >> 20), flush=True)

def backend_rst(port):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((HOST, port))
    l.listen(64)
    while True:
        c, _ = l.accept()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()

def backend_blackhole(port):
    # Never accepts; once the tiny backlog is full, SYNs are dropped and connects hang.
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((HOST, port))
    l.listen(0)
    fillers = []
    for _ in range(4):
        f = socket.socket()
        f.setblocking(False)
        try:
            f.connect((HOST, port))
        except BlockingIOError:
            pass
        fillers.append(f)
    time.sleep(3600)

def read_messages(s, timeout, until=b"Z"):
    """Backend messages (type, body) until one of type `until`, an error, EOF or timeout."""
    s.settimeout(timeout)
    buf, out = b"", []
    try:
        while True:
            while len(buf) >= 5 and len(buf) >= 1 + struct.unpack("!I", buf[1:5])[0]:
                n = struct.unpack("!I", buf[1:5])[0]
                out.append((buf[:1], buf[5:1 + n]))
                buf = buf[1 + n:]
                if out[-1][0] in (until, b"E"):
                    return out
            chunk = s.recv(65536)
            if not chunk:
                out.append((b"EOF", b""))
                return out
            buf += chunk
    except socket.timeout:
        out.append((b"TIMEOUT", b""))
    except ConnectionResetError:
        out.append((b"RESET", b""))
    return out

def error_fields(body):
    f = dict((p[:1].decode(), p[1:].decode()) for p in body.split(b"\0") if p)
    return "%s %s %s" % (f.get("V"), f.get("C"), f.get("M"))

def outcome(msgs):
    """What a client saw last: "E <severity> <sqlstate> <message>", "ready", "EOF"..."""
    kind, body = msgs[-1]
    if kind == b"E":
        return "E " + error_fields(body)
    return {b"Z": "ready"}.get(kind, kind.decode())

def first_error(port, send_startup, wait):
    """A client that sends its startup (or nothing): what the router answers, and when."""
    s = socket.create_connection((HOST, port))
    t0 = time.time()
    if send_startup:
        s.sendall(startup())
    msgs = read_messages(s, wait)
    print("%s after %.1f s" % (outcome(msgs), time.time() - t0))

def idle(port, wait):
    s = socket.create_connection((HOST, port))
    s.sendall(startup())
    first = outcome(read_messages(s, 10))
    t0 = time.time()
    print("%s; then %s after %.1f s" % (first, outcome(read_messages(s, wait)), time.time() - t0))

def per_address(port, n, hold):
    """n logged-in clients from 127.0.0.2 and one from 127.0.0.3, held open `hold` s."""
    socks, seen = [], []
    for src in ["127.0.0.2"] * n + ["127.0.0.3"]:
        s = socket.create_connection((HOST, port), source_address=(src, 0))
        s.sendall(startup())
        seen.append("%s:%s" % (src, outcome(read_messages(s, 10))))
        socks.append(s)
    print("\n".join(seen), flush=True)
    time.sleep(hold)

def login(port):
    s = socket.create_connection((HOST, port))
    s.sendall(startup())
    msgs = read_messages(s, 10)
    key = [b for k, b in msgs if k == b"K"]
    return s, key[0] if key else None

def cancels(port, n):
    """n sessions each running pg_sleep(20), each cancelled through the router's port."""
    done = []
    for _ in range(n):
        s, key = login(port)
        q = b"select pg_sleep(20), inet_server_port()\0"
        s.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
        time.sleep(0.3)
        t0 = time.time()
        c = socket.create_connection((HOST, port))
        c.sendall(struct.pack("!II", 16, 80877102) + key)
        c.settimeout(5)
        eof = c.recv(1) == b""
        res = outcome(read_messages(s, 10))
        done.append("%s in %.1f s%s" % (res.split(" ")[2] if res.startswith("E") else res,
                                        time.time() - t0, "" if eof else " (no EOF)"))
        s.close()
    print("\n".join(done))

cmd = sys.argv[1]
args = [int(a) for a in sys.argv[2:]]
globals()[cmd](*args)
EOF
hostile() { timeout 60 python3 "$RT_DIR/hostile.py" "$@"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$RT_ROUTER_PID/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$RT_ROUTER_PID/status"; }
quick_select() { # a normal client gets through, fast
	local start out
	start=$(date +%s%N)
	out=$(PGCONNECT_TIMEOUT=5 rt_sql "$RT_RW" 'select 42' 2>&1)
	echo "$out $((($(date +%s%N) - start) / 1000000))"
}
normal_ok() { # normal_ok NAME: select 42 answered within 2 s
	local r
	r=$(quick_select)
	ok "$([ "${r%% *}" = 42 ] && [ "${r##* }" -lt 2000 ] && echo 1)" "$1 (${r##* } ms)"
}

rt_setup_cluster 3 || bail "cluster setup failed"
RST_PORT=$((RT_BASE + 45))
HOLE_PORT=$((RT_BASE + 46))
python3 "$RT_DIR/hostile.py" backend_rst $RST_PORT >"$RT_DIR/rst.log" 2>&1 &
RT_PIDS+=($!)
python3 "$RT_DIR/hostile.py" backend_blackhole $HOLE_PORT >"$RT_DIR/hole.log" 2>&1 &
RT_PIDS+=($!)
rt_start_router hold_timeout=3 connect_timeout=500 || bail "router did not start"
rt_wait 10 rt_rw_ok || bail "no RW target"
normal_ok "a normal client gets through"

# --- hostile clients ---------------------------------------------------------------------
is "$(hostile garbage "$RT_RW")" "closed" "a client sending garbage is closed (by the backend)"
normal_ok "others are unaffected by garbage"
is "$(hostile half_close "$RT_RW")" "answered-and-closed" "a half-closed client still gets its answer, then EOF"
is "$(hostile vanish "$RT_RW" 50)" "done" "50 clients vanish with a reset mid-startup"
is "$(hostile flood "$RT_RW" 300)" "done" "300 connect-and-close clients"
normal_ok "others are unaffected by resets and floods"

hostile silent "$RT_RW" 100 6 >"$RT_DIR/silent.out" &
silent_pid=$!
rt_wait 10 grep -q open "$RT_DIR/silent.out"
sleep 0.5
c0=$(cpu_ticks)
sleep 2
c1=$(cpu_ticks)
ok "$([ $((c1 - c0)) -le 10 ] && echo 1)" "100 silent clients cost no CPU ($((c1 - c0)) ticks in 2 s)"
normal_ok "others are unaffected by silent clients"
wait $silent_pid

rss0=$(rss_kb)
hostile slow_reader "$RT_RW" 3 >"$RT_DIR/slow.out" &
slow_pid=$!
rt_wait 10 grep -q "reading nothing" "$RT_DIR/slow.out"
sleep 2
rss1=$(rss_kb)
ok "$([ $((rss1 - rss0)) -lt 16384 ] && echo 1)" \
	"a client that does not read 200 MB keeps the router's memory bounded (+$((rss1 - rss0)) kB)"
normal_ok "others are unaffected by a slow reader"
wait $slow_pid
is "$(tail -1 "$RT_DIR/slow.out")" "read 190 MB" "the slow reader gets everything once it reads"

# Slow clients on /health, which load balancers probe: 12 slow-header connections from
# each of 8 addresses (the old limit, 64 in all, let 8 addresses starve the probes).
timeout 60 python3 "$top/tests/integration/slow_http.py" "$RT_HTTP" /health 12 8 >"$RT_DIR/slow_http.out" &
slow_pid=$!
rt_wait 10 grep -q "^open$" "$RT_DIR/slow_http.out"
probes=0
failed=0
end=$((SECONDS + 12))
while [ "$SECONDS" -lt "$end" ]; do
	probes=$((probes + 1))
	[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RT_HTTP/health")" = 200 ] ||
		failed=$((failed + 1))
	sleep 0.2
done
wait $slow_pid
diag "slow /health clients: $(tail -1 "$RT_DIR/slow_http.out")"
is "$failed" 0 "96 slow-header clients from 8 addresses: all $probes /health probes from a ninth succeed"
like "$(tail -1 "$RT_DIR/slow_http.out")" "^open 96, closed 96, the last after ([0-9]|1[0-3]) s$" \
	"every slow client is closed: those over 8 per address at once, the others at the 10 s request deadline"

# --- broken backends -----------------------------------------------------------------------
# A leader whose pooler resets every connection: the session ends, nothing else does.
rt_role rst primary
rt_etcd put "$RT_PREFIX/members/rst" \
	"{\"conn_url\":\"postgres://127.0.0.1:$RST_PORT/postgres\",\"api_url\":\"http://127.0.0.1:$(rt_api_port 1)/patroni\",\"state\":\"running\",\"role\":\"primary\",\"pooler\":\"127.0.0.1:$RST_PORT\"}" >/dev/null
rt_etcd put "$RT_PREFIX/leader" rst >/dev/null
sleep 0.5
out=$(PGCONNECT_TIMEOUT=5 rt_sql "$RT_RW" 'select 1' 2>&1)
like "$out" "server closed the connection|reset|terminated" "a backend reset ends that client's session"
ok "$(kill -0 "$RT_ROUTER_PID" 2>/dev/null && echo 1)" "the router survives backend resets"
# A leader whose pooler never completes the TCP handshake: connect_timeout, then held, then closed.
rt_etcd put "$RT_PREFIX/members/rst" \
	"{\"conn_url\":\"postgres://127.0.0.1:$HOLE_PORT/postgres\",\"api_url\":\"http://127.0.0.1:$(rt_api_port 1)/patroni\",\"state\":\"running\",\"role\":\"primary\",\"pooler\":\"127.0.0.1:$HOLE_PORT\"}" >/dev/null
sleep 0.5
start=$(date +%s%N)
out=$(PGCONNECT_TIMEOUT=10 rt_sql "$RT_RW" 'select 1' 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
ok "$([ $ms -ge 2500 ] && [ $ms -lt 6000 ] && echo 1)" \
	"a backend that never accepts: the client is held, then closed at hold_timeout (${ms} ms)"
like "$out" "FATAL: +no primary is available \\(pgha router waited 3000 ms\\)" \
	"and told why (ErrorResponse 57P03, not a bare close)"
fails=$(rt_metric '^pgha_router_connect_failures_total\{listener="rw"\}')
ok "$([ "${fails:-0}" -ge 2 ] && echo 1)" "connect timeouts are counted ($fails)"
# A client whose backend connect is still in flight when the leader changes is not
# lost: nothing was relayed yet, so it is held again and goes to the new leader.
rt_sql "$RT_RW" 'select 7' >"$RT_DIR/inflight.out" 2>&1 &
inflight=$!
sleep 0.2
rt_etcd put "$RT_PREFIX/leader" n1 >/dev/null
wait $inflight
is "$?/$(cat "$RT_DIR/inflight.out")" "0/7" "a client connecting at the leader change reaches the new leader"
rt_wait 5 rt_rw_ok
normal_ok "back to the real primary"
rt_stop_router
is "$RT_ROUTER_RC" "0" "the router stops cleanly"

# --- the door: first messages, refusals, limits, keepalive, cancels -------------------------
rt_start_router hold_timeout=2 login_timeout=1 client_idle_timeout=2 max_clients_per_address=5 \
	tcp_keepidle=30 || bail "router (limits) did not start"
rt_wait 10 rt_rw_ok || bail "no RW target"
rt_wait 10 rt_ro_count_is 2 || bail "no two RO targets"
like "$(hostile first_error "$RT_RW" 0 5)" \
	"^E FATAL 08006 no startup message within 1000 ms \\(pgha router\\) after (0\\.9|1\\.[0-9]) s$" \
	"a client silent for login_timeout gets FATAL 08006, then the close"
is "$(hostile bad_first "$RT_RW")" "E FATAL 08P01 invalid startup packet" \
	"a first message no PostgreSQL client sends is refused with 08P01"
like "$(hostile idle "$RT_RW" 6)" \
	"^ready; then E FATAL 57P05 terminating connection due to idle timeout .* after 2\\.[0-9] s$" \
	"client_idle_timeout: a silent session gets FATAL 57P05, then the close"
per=$(hostile per_address "$RT_RW" 6 0)
is "$(printf '%s\n' "$per" | grep -c '^127.0.0.2:ready$')" 5 "max_clients_per_address: 5 sessions of one address"
like "$(printf '%s\n' "$per" | sed -n 6p)" \
	"^127.0.0.2:E FATAL 53300 too many connections from this address" "the 6th gets FATAL 53300"
is "$(printf '%s\n' "$per" | tail -1)" "127.0.0.3:ready" "another address is not affected"
rt_sql "$RT_RW" 'select pg_sleep(2)' >/dev/null 2>&1 &
sleeper=$!
sleep 0.5
ss_client=$(ss -tnoH state established "( sport = :$RT_RW )")
ss_backend=$(ss -tnoH state established "( dport = :$(rt_bouncer_port 1) )")
like "$ss_client" "timer:\\(keepalive" "TCP keepalive on client sockets"
like "$ss_backend" "timer:\\(keepalive" "TCP keepalive on backend sockets"
wait $sleeper
# Held past hold_timeout (no leader): told so, with the SQLSTATE of "cannot connect now".
rt_etcd put "$RT_PREFIX/leader" nobody >/dev/null
rt_wait 5 rt_rw_down
like "$(hostile first_error "$RT_RW" 1 6)" \
	"^E FATAL 57P03 no primary is available \\(pgha router waited 2000 ms\\) after 2\\.[0-9] s$" \
	"a client held past hold_timeout gets FATAL 57P03"
rt_etcd put "$RT_PREFIX/leader" n1 >/dev/null
rt_wait 10 rt_rw_ok
# CancelRequests reach the server that holds the session, on either replica (round robin).
cancels=$(hostile cancels "$RT_RO" 6)
printf '%s\n' "$cancels" | sed 's/^/# ro: /'
is "$(printf '%s\n' "$cancels" | grep -Ec '^57014 in [01]\.[0-9] s$')" 6 \
	"6 queries on 5433 cancelled through the router, each within 2 s, whichever replica ran it"
cancels=$(hostile cancels "$RT_RW" 2)
is "$(printf '%s\n' "$cancels" | grep -Ec '^57014 in [01]\.[0-9] s$')" 2 "and on 5432"
is "$(rt_metric '^pgha_router_cancel_requests_total\{listener="ro"\}')" 6 "cancels are counted"
is "$(rt_metric '^pgha_router_address_refusals_total\{listener="rw"\}')" 1 "refusals are counted"
is "$(rt_metric '^pgha_router_login_timeouts_total\{listener="rw"\}')" 1 "login timeouts are counted"
is "$(rt_metric '^pgha_router_idle_timeouts_total\{listener="rw"\}')" 1 "idle timeouts are counted"
normal_ok "normal clients are unaffected"
rt_stop_router
is "$RT_ROUTER_RC" "0" "the router stops cleanly"

# --- out of file descriptors ----------------------------------------------------------------
RT_ROUTER_WRAP="prlimit --nofile=48:48 --"
rt_start_router hold_timeout=5 || bail "router (48 fds) did not start"
rt_wait 10 rt_rw_ok
hostile silent "$RT_RW" 60 8 >"$RT_DIR/silent2.out" &
silent_pid=$!
rt_wait 10 grep -q open "$RT_DIR/silent2.out"
sleep 0.5
c0=$(cpu_ticks)
sleep 2
c1=$(cpu_ticks)
ok "$([ $((c1 - c0)) -le 20 ] && echo 1)" "out of fds: no spinning ($((c1 - c0)) ticks in 2 s)"
like "$(cat "$RT_DIR/router.log")" "pausing accepts|backend socket" "running out of fds is logged"
ok "$(kill -0 "$RT_ROUTER_PID" 2>/dev/null && echo 1)" "the router survives running out of fds"
wait $silent_pid
sleep 0.5
normal_ok "fds back: clients get through again"
rt_stop_router
is "$RT_ROUTER_RC" "0" "the router stops cleanly"
done_testing
