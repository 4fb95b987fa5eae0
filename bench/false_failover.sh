#!/usr/bin/env bash
# false_failover.sh: does a healthy pgha cluster fail over by itself under write load?
#
#   bench/false_failover.sh [--minutes M] [--clients C] [--base-port P]
#                                                          (make bench-false-failover)
#
# Starts a lab with default settings (`pgha up --dir TMP --base-port P --router-port
# P+8`), loads it with `pgbench -i` and then runs `pgbench -c C -T M*60` (TPC-B-like,
# every transaction writes) through the router's read-write port, as clients would.
# Meanwhile, once a second, it records the leader, the timelines and each member's role
# and state (`pgha list --json`). Nothing is injected: every leader change is a false
# failover. Leader changes are counted three ways and the largest count is reported:
#   - the leader seen by the once-a-second poll changed (a gap without a leader that
#     ends with the same leader is counted apart, as "leaderless seconds"),
#   - the leader's timeline went up (a promotion),
#   - entries were added to the cluster's history key (`pgha history --json`).
# It prints
#   false failovers: N, pgbench tps X, failed tx Y, minutes M
# and exits 1 if N > 0, or if pgbench itself could not run. A failed transaction is one
# pgbench reports as failed, plus one per client pgbench aborted on an error.
# Everything started here is stopped by pid (pgha down) and the temp dir removed.
set -u
MINUTES=10
CLIENTS=16
BASE=33400
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) MINUTES=$2; shift 2 ;;
	--clients) CLIENTS=$2; shift 2 ;;
	--base-port) BASE=$2; shift 2 ;;
	-h | --help) sed -n '2,21p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--minutes M] [--clients C] [--base-port P]" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
PGHA=${PGHA:-$top/pgha}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
tmp=""
dir=""
MONITOR_PID=""

die() {
	echo "bench-false-failover: $*" >&2
	exit 1
}

cleanup() {
	local rc=$? pid f
	trap - EXIT INT TERM
	if [ -n "$MONITOR_PID" ] && kill -0 "$MONITOR_PID" 2>/dev/null; then
		kill -TERM "$MONITOR_PID"
		wait "$MONITOR_PID" 2>/dev/null
	fi
	if [ -n "$dir" ] && [ -f "$dir/cluster.json" ]; then
		"$PGHA" down --dir "$dir" --timeout 30 >"$tmp/down.log" 2>&1
		for f in "$dir"/run/*.pid "$dir"/node*/data/postmaster.pid; do # what down left
			[ -f "$f" ] || continue
			pid=$(head -n 1 "$f")
			kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
		done
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
	exit "$rc"
}

# write_monitor FILE: the poller, a python script: one line a second, "unix_time leader
# max_timeline name/role/state,..." from `pgha list --json` ("-" for no leader, "?" when
# the list itself failed). Run from a file, not a function, so that $! is its pid.
write_monitor() {
	cat >"$1" <<-'EOF'
		import json, signal, subprocess, sys, time
		pgha, lab, path = sys.argv[1:4]
		signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
		with open(path, "a", buffering=1) as out:
		    while True:
		        t = time.time()
		        try:
		            j = json.loads(subprocess.run([pgha, "list", "--dir", lab, "--json"],
		                capture_output=True, timeout=5).stdout)
		            tl = max([m.get("timeline") or 0 for m in j["members"]] or [0])
		            roles = ",".join("%s/%s/%s" % (m["name"], m["role"], m["state"])
		                             for m in j["members"])
		            out.write("%.1f %s %d %s\n" % (t, j["leader"] or "-", tl, roles))
		        except Exception as e:
		            out.write("%.1f ? 0 %s\n" % (t, type(e).__name__))
		        time.sleep(max(0, 1 - (time.time() - t)))
	EOF
}

history_len() {
	"$PGHA" history --dir "$dir" --json 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# count_changes FILE: "leader_changes leaderless_seconds timeline_increase first last".
count_changes() {
	awk '$2 != "?" {
		if (first_tl == "") first_tl = $3
		if ($3 > last_tl) last_tl = $3
		if ($2 == "-") { leaderless++; next }
		if (leader != "" && $2 != leader) changes++
		leader = $2
	} END { printf "%d %d %d %s\n", changes, leaderless, last_tl - first_tl, leader }' "$1"
}

[ -x "$PGHA" ] || die "$PGHA not found: run make first"
[ -x "$PGBIN/pgbench" ] || die "no pgbench in $PGBIN"
trap cleanup EXIT
trap 'exit 130' INT TERM
tmp=$(mktemp -d /tmp/pgha-bench-ff.XXXXXX) || exit 1
chmod 755 "$tmp"
dir=$tmp/lab
"$PGHA" up --dir "$dir" --base-port "$BASE" --router-port $((BASE + 8)) >"$tmp/up.log" 2>&1 || {
	cat "$tmp/up.log" >&2
	die "pgha up failed"
}
export PGSERVICEFILE=$dir/pg_service.conf
"$PGBIN/pgbench" -i -s 10 -q "service=rw" >"$tmp/init.log" 2>&1 || {
	cat "$tmp/init.log" >&2
	die "pgbench -i through the router failed"
}
h0=$(history_len) || die "pgha history failed"
leader0=$("$PGHA" list --dir "$dir" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["leader"])')
echo "pgha lab in $dir: leader $leader0, pgbench -c $CLIENTS for $MINUTES min through the router" \
	"(127.0.0.1:$((BASE + 8))), $(nproc) cores"

write_monitor "$tmp/monitor.py"
/usr/bin/python3 "$tmp/monitor.py" "$PGHA" "$dir" "$tmp/monitor.log" &
MONITOR_PID=$!
"$PGBIN/pgbench" -n -c "$CLIENTS" -j 2 -T $((MINUTES * 60)) -P 60 "service=rw" \
	>"$tmp/pgbench.out" 2>"$tmp/pgbench.err"
pgbench_rc=$?
kill -TERM "$MONITOR_PID" && wait "$MONITOR_PID" 2>/dev/null
MONITOR_PID=""
h1=$(history_len) || die "pgha history failed"

grep '^progress' "$tmp/pgbench.err" | sed 's/^/  /'
tps=$(sed -n 's/^tps = \([0-9]*\).*/\1/p' "$tmp/pgbench.out") # whole tps
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
aborted=$(grep -c 'aborted' "$tmp/pgbench.err")
read -r changes leaderless tl_up leader1 < <(count_changes "$tmp/monitor.log")
samples=$(wc -l <"$tmp/monitor.log")
unknown=$(awk '$2 == "?"' "$tmp/monitor.log" | wc -l)
false_failovers=$changes
[ "$tl_up" -gt "$false_failovers" ] && false_failovers=$tl_up
[ $((h1 - h0)) -gt "$false_failovers" ] && false_failovers=$((h1 - h0))

echo "  leader $leader0 -> $leader1; leader changes seen $changes, timeline +$tl_up," \
	"history entries +$((h1 - h0)); $samples samples, $leaderless without a leader," \
	"$unknown unreadable"
if [ -z "$tps" ]; then
	tail -n 5 "$tmp/pgbench.err" >&2
	die "pgbench failed (exit $pgbench_rc)"
fi
echo "false failovers: $false_failovers, pgbench tps $tps, failed tx $((${failed:-0} + aborted)), minutes $MINUTES"
[ "$false_failovers" -eq 0 ]
