#!/bin/sh
# run.sh: runs each cmocka unit-test binary given as an argument; with VALGRIND=1 under
# valgrind (any error fails the run). Prints one summary line per binary.
set -u
failed=0
for t in "$@"; do
	if [ "${VALGRIND:-0}" = 1 ]; then
		PGHA_TEST_QUICK=1 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			"$t" >"$t.log" 2>&1
	else
		"$t" >"$t.log" 2>&1
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok   $(basename "$t") ($(grep -c '^\[       OK \]' "$t.log") tests)"
	else
		echo "FAIL $(basename "$t") (exit $rc), output:"
		sed 's/^/    /' "$t.log"
		failed=1
	fi
done
exit $failed
