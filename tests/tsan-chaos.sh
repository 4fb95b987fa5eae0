#!/bin/sh
# tsan-chaos.sh BINARY TSAN_OPTIONS: the lab's chaos scenarios (integration tests
# 030_chaos: kill-primary, crash-postgres, kill-agent, freeze-primary, switchover;
# 031_chaos_faults: the etcd and network faults; 032_chaos_exec: -c and --exec) run
# with a ThreadSanitizer build of pgha for every process the lab starts (agents,
# router) and for the tools. Each process writes its reports to a file of its own
# instead of stopping at the first; the run fails if the scenarios fail or if any
# report was written. Called by `make tsan-chaos` (under the lab lock).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/$1
reports=$(mktemp -d "${TMPDIR:-/tmp}/pgha-tsan.XXXXXX")
# The lab's processes run as the postgres user when started by root.
chmod 1777 "$reports"
trap 'rm -rf "$reports"' EXIT
[ -x "$bin" ] || { echo "tsan-chaos: no binary at $bin (make tsan)"; exit 1; }
TSAN_OPTIONS="$2 halt_on_error=0 log_path=$reports/tsan" PGHA="$bin" T=03 \
	sh "$top/tests/integration/run.sh"
rc=$?
found=$(find "$reports" -name 'tsan.*' -type f | sort)
if [ -n "$found" ]; then
	echo "tsan-chaos: ThreadSanitizer reports:"
	for f in $found; do
		echo "--- $f"
		cat "$f"
	done
	exit 1
fi
[ $rc -eq 0 ] && echo "tsan-chaos: no ThreadSanitizer report"
exit $rc
