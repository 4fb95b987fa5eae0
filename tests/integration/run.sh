#!/bin/sh
# run.sh: integration tests against real etcd, PostgreSQL and PgBouncer processes.
#
# Arguments: C test binaries (cmocka). Then every tests/integration/t/*.sh scenario runs.
# Select with T=<substring> (e.g. T=etcd). Each test's output goes to build/itest-logs/;
# a failing test prints its log. Tests that start clusters run them as the postgres OS
# user (PostgreSQL refuses root), which the scenario library arranges.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
logs="$top/build/itest-logs"
mkdir -p "$logs"
# The tests' fixed ports live below 40000; keep the kernel's ephemeral ports (outgoing
# connections) above them, so that a port a test needs is never randomly taken.
if [ "$(id -u)" -eq 0 ]; then
	sysctl -qw net.ipv4.ip_local_port_range="40000 60999" || true
fi
failed=0
pass=0

run_one() {
	name=$1
	shift
	case "$name" in *"${T:-}"*) ;; *) return 0 ;; esac
	start=$(date +%s)
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	# A check that failed fails the test, whatever the script's exit status says (a
	# cleanup trap can lose it).
	if [ $rc -eq 0 ] && grep -q '^not ok' "$logs/$name.log"; then
		echo "$name exited 0 but reported failed checks" >>"$logs/$name.log"
		rc=1
	fi
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		echo "ok   $name (${secs}s)"
		pass=$((pass + 1))
	else
		echo "FAIL $name (exit $rc, ${secs}s); log: $logs/$name.log"
		# The failed checks first, each with the diagnostics that follow it (CI shows
		# only part of a long output), then the end of the log.
		grep -A 12 '^ *not ok' "$logs/$name.log" | head -n 80 | sed 's/^/  ! /'
		tail -n 40 "$logs/$name.log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

for t in "$@"; do
	run_one "$(basename "$t")" "$t"
done
for t in "$top"/tests/integration/t/*.sh; do
	[ -e "$t" ] || continue
	run_one "$(basename "$t" .sh)" bash "$t"
done
echo "integration: $pass passed, $failed failed"
[ $failed -eq 0 ]
