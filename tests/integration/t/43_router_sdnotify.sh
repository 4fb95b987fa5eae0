#!/bin/bash
# 43_router_sdnotify.sh: the real `pgha router` under a fake systemd.
#
# pgha-router.service is Type=notify with WatchdogSec=: systemd kills a router that
# never says READY=1 (at its start timeout) or stops pinging. Here a Python listener
# binds the datagram socket named by NOTIFY_SOCKET, as systemd does, and records each
# message with its arrival time. Checked, in order: while etcd is down the router
# listens, pings the watchdog and says it is waiting, but is not READY; READY=1 comes
# once etcd gives it a view; STATUS= follows where clients go ("rw -> n1, ro -> 2
# replicas"), held clients included; pings keep within WATCHDOG_USEC; SIGTERM gives
# STOPPING=1, after which nothing is pinged, and a clean exit.
#
# No PostgreSQL: etcd, and fake REST APIs (router_lib.bash) that answer /primary and
# /replica; no client is forwarded anywhere. Ports: RT_BASE (32350) + 1..45.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
RT_BASE=${RT_BASE:-32350}
. "$top/tests/integration/t/router_lib.bash"

NOTIFY_LOG=$RT_DIR/notify.log
WATCHDOG_USEC=2000000 # WatchdogSec=2s: pings due every second

cat >"$RT_DIR/fake_systemd.py" <<'EOF'
# The notification side of systemd: one line per datagram, "<ms since start> <msg>",
# with the message's newlines shown as '|'.
import os, socket, sys, time
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
t0 = time.monotonic()
with open(log, "a", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode(errors="replace").replace("\n", "|")
        out.write("%d %s\n" % ((time.monotonic() - t0) * 1000, msg))
EOF
: >"$NOTIFY_LOG"
python3 "$RT_DIR/fake_systemd.py" "$RT_DIR/notify" "$NOTIFY_LOG" &
RT_PIDS+=($!)
rt_wait 5 test -S "$RT_DIR/notify" || bail "the fake systemd socket did not appear"

# messages: the recorded messages without their times; count KIND: how many start so.
messages() { cut -d' ' -f2- "$NOTIFY_LOG"; }
count() { messages | grep -c -- "^$1" || true; }
line_of() { messages | grep -n -m1 -- "$1" | cut -d: -f1; }
last_line_of() { messages | grep -n -- "$1" | tail -1 | cut -d: -f1; }
has_status() { messages | grep -qF -- "STATUS=$1"; }

# --- before etcd: listening, pinging, waiting, not READY -----------------------------------
RT_N=3
for i in 1 2 3; do rt_role "$i" replica; done
rt_role 1 primary
rt_start_apis
rt_write_router_conf hold_timeout=60
NOTIFY_SOCKET=$RT_DIR/notify WATCHDOG_USEC=$WATCHDOG_USEC \
	"$PGHA" router -c "$RT_DIR/router.yml" >>"$RT_DIR/router.log" 2>&1 &
RT_ROUTER_PID=$!
rt_wait 10 curl -s -o /dev/null "http://127.0.0.1:$RT_HTTP/health" || bail "the router did not start"
rt_wait 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RT_RW" 2>/dev/null
ok "$(bash -c "exec 3<>/dev/tcp/127.0.0.1/$RT_RW" 2>/dev/null && echo 1)" \
	"the router listens on its read-write port while etcd is down"
sleep 3
ok "$([ "$(count WATCHDOG=1)" -ge 2 ] && echo 1)" \
	"it pings the watchdog from its loop while etcd is down ($(count WATCHDOG=1) pings in 3 s)"
is "$(count READY=1)" "0" "it is not READY without a view of the cluster"
ok "$(has_status 'waiting for etcd: no view of the cluster yet' && echo 1)" \
	"its status says it waits for etcd"

# --- etcd comes: READY, then where clients go -------------------------------------------------
rt_start_etcd || bail "etcd did not start"
for i in 1 2 3; do
	role=replica
	[ "$i" = 1 ] && role=primary
	rt_etcd put "$RT_PREFIX/members/n$i" "$(rt_member_json "$i" $role)" >/dev/null
done
rt_etcd put "$RT_PREFIX/leader" n1 >/dev/null
rt_wait 10 test "$(count READY=1)" -ge 1
is "$(count READY=1)" "1" "READY=1 once etcd gives the router a view of the cluster"
ok "$([ "$(line_of READY=1)" -gt "$(last_line_of 'STATUS=waiting for etcd')" ] && echo 1)" \
	"READY=1 comes after every 'waiting for etcd' status"
like "$(messages | grep -m1 READY=1)" '^READY=1\|STATUS=rw -> ' "READY=1 carries the status line"
rt_wait 10 has_status 'rw -> n1, ro -> 2 replicas, 0 clients'
ok "$(has_status 'rw -> n1, ro -> 2 replicas, 0 clients' && echo 1)" \
	"STATUS says rw -> n1, ro -> 2 replicas once the checks confirm them"

# --- a held client shows in the status ------------------------------------------------------------
rt_role 1 down # a primary that lost the lead (one that still says so would be kept)
rt_etcd del "$RT_PREFIX/leader" >/dev/null
rt_wait 10 has_status 'rw -> none (new clients held), ro -> 2 replicas, 0 clients'
exec 3<>"/dev/tcp/127.0.0.1/$RT_RW"
# A StartupMessage (protocol 3.0, user x): the router reads a client's first message
# before it places it, so a client that has said nothing yet is not held.
printf '\x00\x00\x00\x10\x00\x03\x00\x00user\x00x\x00\x00' >&3
rt_wait 10 has_status 'rw -> none (new clients held), ro -> 2 replicas, 1 client (1 held)'
ok "$(has_status 'rw -> none (new clients held), ro -> 2 replicas, 1 client (1 held)' && echo 1)" \
	"STATUS shows no read-write target and the held client"
exec 3<&-
rt_wait 10 has_status 'rw -> none (new clients held), ro -> 2 replicas, 0 clients'
ok "$(has_status 'rw -> none (new clients held), ro -> 2 replicas, 0 clients' && echo 1)" \
	"and the client gone once it leaves"

# --- the pings keep within the watchdog period ----------------------------------------------------
gap=$(grep ' WATCHDOG=1$' "$NOTIFY_LOG" | awk 'NR > 1 && $1 - prev > max { max = $1 - prev } { prev = $1 } END { print max + 0 }')
ok "$([ "$gap" -lt $((WATCHDOG_USEC / 1000)) ] && echo 1)" \
	"no gap between watchdog pings reaches WATCHDOG_USEC (longest: $gap ms of $((WATCHDOG_USEC / 1000)))"

# --- STOPPING -------------------------------------------------------------------------------------
rt_stop_router
is "$RT_ROUTER_RC" "0" "SIGTERM: a clean exit"
sleep 0.2
is "$(count STOPPING=1)" "1" "STOPPING=1 is sent once"
ok "$([ "$(last_line_of WATCHDOG=1)" -lt "$(line_of STOPPING=1)" ] && echo 1)" \
	"no watchdog ping after STOPPING=1"
like "$(messages | tail -1)" '^STATUS=stopping: closing 0 client connections$' \
	"the last status says the router is stopping"
diag "messages: $(messages | cut -c1-60 | sort | uniq -c | sort -rn | head -8 | tr '\n' ';')"

done_testing
