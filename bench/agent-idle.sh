#!/usr/bin/env bash
# agent-idle.sh: the cost of an idle pgha cluster: time from `pgha up` to healthy, each
# agent's resident memory, and the request rate the agents send to etcd while nothing
# happens (counted by etcd itself: grpc_server_started_total on every member).
#
#   bench/agent-idle.sh [--seconds N] [--base-port P]     (make bench-idle)
#
# Starts its own lab in a temp dir and stops everything it started (pgha down, by pid).
set -u
SECONDS_IDLE=60
BASE=39000
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_IDLE=$2; shift 2 ;;
	--base-port) BASE=$2; shift 2 ;;
	*) echo "usage: $0 [--seconds N] [--base-port P]" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
PGHA=${PGHA:-$top/pgha}
tmp=$(mktemp -d /tmp/pgha-bench-idle.XXXXXX)
chmod 755 "$tmp"
dir=$tmp/lab
cleanup() {
	"$PGHA" down --dir "$dir" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

start=$(date +%s%N)
"$PGHA" up --dir "$dir" --base-port "$BASE" --router-port $((BASE + 8)) >"$tmp/up.log" 2>&1 || {
	cat "$tmp/up.log"
	exit 1
}
up_ms=$((($(date +%s%N) - start) / 1000000))

# requests: the sum over etcd members of the gRPC calls they have started.
requests() {
	local total=0 n url
	for url in $(python3 -c "import json; print(' '.join(json.load(open('$dir/cluster.json'))['etcd']))"); do
		# https with the lab's CA (a lab without TLS: plain http, no CA file)
		n=$(curl -s --cacert "$dir/tls/ca.crt" "$url/metrics" |
			awk '/^grpc_server_started_total/ {s += $2} END {printf "%d", s}')
		total=$((total + n))
	done
	echo "$total"
}

sleep 5 # let the start-up writes settle
r0=$(requests)
sleep "$SECONDS_IDLE"
r1=$(requests)
nodes=$(python3 -c "import json; print(len(json.load(open('$dir/cluster.json'))['nodes']))")

echo "pgha idle cluster ($nodes nodes, 3 etcd members), measured with bench/agent-idle.sh"
printf '  pgha up to healthy:        %d.%03d s\n' $((up_ms / 1000)) $((up_ms % 1000))
for f in "$dir"/run/node*.pid; do
	pid=$(head -n 1 "$f")
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	printf '  %-6s agent RSS:          %s kB\n' "$(basename "$f" .pid)" "${rss:-?}"
done
awk -v d=$((r1 - r0)) -v s="$SECONDS_IDLE" -v n="$nodes" 'BEGIN {
	printf "  etcd requests while idle:  %d in %d s = %.2f/s (%.2f/s per agent)\n", d, s, d / s, d / s / n }'
