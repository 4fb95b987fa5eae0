#!/usr/bin/env bash
# failover.sh: write downtime of every fault scenario of `pgha chaos`, run N times each
# against one lab with default settings, and the goals; then, when bench/patroni_lab.sh
# exists, the same kill-primary scenario against Patroni for comparison.
#
#   bench/failover.sh [--runs N] [--base-port P] [--scenarios "kill-primary,switchover"]
#                     [--insecure]
#   (make bench-failover BENCH_ARGS="--runs 3")
#
# The lab is a default one (TLS everywhere, etcd with users); --insecure makes it
# without TLS, to measure what TLS costs.
#
# Starts its own lab in a temp dir (router at P+8/P+9, inside the plan) and stops
# everything it started on exit: pgha down, then any pid still recorded in the lab's
# run/ directory or a node's postmaster.pid. Nothing is killed by name. Prints figures,
# asserts nothing.
set -u
RUNS=5
BASE=31700
ALL_SCENARIOS="kill-primary crash-postgres kill-agent freeze-primary switchover"
SCENARIOS=$ALL_SCENARIOS
UP_ARGS=()
TLS_STATE=on
usage() { echo "usage: $0 [--runs N] [--base-port P] [--scenarios LIST] [--insecure]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=${2:-}; shift 2 || usage ;;
	--base-port) BASE=${2:-}; shift 2 || usage ;;
	--scenarios) SCENARIOS=${2:-}; shift 2 || usage ;;
	--insecure) UP_ARGS=(--insecure) TLS_STATE=off; shift ;;
	*) usage ;;
	esac
done
case "$RUNS$BASE" in *[!0-9]*|'') usage ;; esac
SCENARIOS=${SCENARIOS//,/ } # "a,b" or "a b"
for s in $SCENARIOS; do
	case " $ALL_SCENARIOS " in
	*" $s "*) ;;
	*) echo "$0: unknown scenario '$s' (scenarios: $ALL_SCENARIOS)" >&2; exit 2 ;;
	esac
done
[ -n "${SCENARIOS// /}" ] || usage
top=$(cd "$(dirname "$0")/.." && pwd)
PGHA=${PGHA:-$top/pgha}
tmp=$(mktemp -d /tmp/pgha-bench-failover.XXXXXX)
chmod 755 "$tmp"
dir=$tmp/lab

cleanup() {
	local f pid
	trap - EXIT INT TERM
	if [ -f "$dir/cluster.json" ]; then
		"$PGHA" down --dir "$dir" --timeout 20 >/dev/null 2>&1
	fi
	for f in "$dir"/run/*.pid "$dir"/node*/data/postmaster.pid; do
		[ -f "$f" ] || continue
		pid=$(head -n 1 "$f")
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "starting a lab in $dir (base port $BASE, router $((BASE + 8)), TLS $TLS_STATE)..."
if ! "$PGHA" up --dir "$dir" --base-port "$BASE" --router-port $((BASE + 8)) "${UP_ARGS[@]}" \
	>"$tmp/up.log" 2>&1; then
	cat "$tmp/up.log"
	exit 1
fi

# goal SCENARIO: the downtime goal in seconds, or "-" when the design sets none.
goal() {
	case $1 in
	kill-primary) echo 3 ;;
	crash-postgres) echo 1.5 ;;
	switchover) echo 0.5 ;;
	*) echo - ;;
	esac
}

results=$tmp/results # lines: scenario downtime lost ok
: >"$results"
for s in $SCENARIOS; do
	for i in $(seq 1 "$RUNS"); do
		out=$("$PGHA" chaos --dir "$dir" --scenario "$s" --json 2>>"$tmp/chaos.err")
		rc=$?
		line=$(printf '%s' "$out" | python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
    d = j["downtime_s"]
    print("%s %s %s" % ("-" if d is None else d, j["lost_acked"], "ok" if j["ok"] else "FAILED"))
except Exception:
    print("- - FAILED")')
		echo "$s $line" >>"$results"
		echo "  $s run $i: downtime ${line%% *} s (exit $rc)"
	done
done

echo
echo "pgha failover benchmark: $RUNS run(s) per scenario, default settings" \
	"(TLS $TLS_STATE), bench/failover.sh"
python3 - "$results" "$SCENARIOS" <<'PY'
import sys
goals = {"kill-primary": 3.0, "crash-postgres": 1.5, "switchover": 0.5}
rows = {}
for line in open(sys.argv[1]):
    s, d, lost, ok = line.split()
    rows.setdefault(s, []).append((None if d == "-" else float(d), lost, ok))
print("%-15s %4s %8s %8s %5s %7s  %s" % ("scenario", "runs", "median", "worst", "lost", "failed", "goal"))
for s in sys.argv[2].split():
    r = rows.get(s, [])
    ds = sorted(d for d, _, _ in r if d is not None)
    med = (ds[len(ds) // 2] if len(ds) % 2 else (ds[len(ds) // 2 - 1] + ds[len(ds) // 2]) / 2) if ds else None
    worst = max(ds) if ds else None
    lost = sum(int(l) for _, l, _ in r if l.isdigit())
    failed = sum(1 for _, _, ok in r if ok != "ok")
    g = goals.get(s)
    verdict = "-" if g is None or med is None else ("<= %.1f s %s" % (g, "met" if med <= g else "NOT met"))
    f = lambda v: "-" if v is None else "%.2f s" % v
    print("%-15s %4d %8s %8s %5d %7d  %s" % (s, len(r), f(med), f(worst), lost, failed, verdict))
    print("median-%s %s" % (s, "-" if med is None else "%.3f" % med), file=open(sys.argv[1] + ".med", "a"))
PY

patroni=$top/bench/patroni_lab.sh
# The comparison is of kill-primary: only when that scenario ran.
if [ -f "$patroni" ] && [[ " $SCENARIOS " == *" kill-primary "* ]]; then
	echo
	echo "Patroni 3.0.2, same machine (bench/patroni_lab.sh --runs $RUNS --base-port $((BASE + 100))):"
	pgha_med=$(awk '$1 == "median-kill-primary" {print $2}' "$results.med")
	bash "$patroni" --runs "$RUNS" --base-port $((BASE + 100)) 2>"$tmp/patroni.err" | tee "$tmp/patroni.out"
	while read -r name scenario _ med _; do
		case $name in patroni-*) ;; *) continue ;; esac
		[ "$scenario" = kill-primary ] || continue
		awk -v p="$pgha_med" -v q="$med" -v n="$name" 'BEGIN {
			if (p == "" || p == "-" || q + 0 <= 0) print "  " n ": no ratio";
			else printf "  kill-primary: pgha %.2f s vs %s %.2f s: pgha takes %.2fx the time (%.1fx faster)\n", p, n, q, p / q, q / p }'
	done <"$tmp/patroni.out"
fi
