#!/bin/sh
# run.sh SECONDS HARNESS...: runs each libFuzzer harness for SECONDS on its seed corpus
# (tests/fuzz/corpus/<name>/, read only: new inputs go to a scratch directory) and its
# dictionary (tests/fuzz/dict/: JSON or YAML tokens), then prints one line per
# harness: executions, executions per second, time, corpus size. A crash, a leak or a
# timeout fails the run; the input is kept in build-fuzz/crashes/ and its path printed.
# Run from the repository's top directory (make fuzz, make fuzz-check).
# FUZZ_SEED: libFuzzer's -seed (0, the default, picks a new one each run); make
# fuzz-check sets 1 so that CI's short runs explore the same way every time and a
# failure there can be reproduced, while make fuzz explores anew.
set -u
secs=$1
shift
out=build-fuzz/runs
crashes=build-fuzz/crashes
mkdir -p "$out" "$crashes"
failed=0
total_execs=0
printf '%-20s %12s %10s %6s %8s\n' harness executions execs/s secs corpus
for bin in "$@"; do
	name=$(basename "$bin")
	short=${name#fuzz_}
	seeds=tests/fuzz/corpus/$short
	work=$out/$short
	rm -rf "$work"
	mkdir -p "$work" "$seeds"
	case $short in
	etcd_* | dcs_* | dyn_config) dict=-dict=tests/fuzz/dict/json.dict ;;
	config_yaml | router_config) dict=-dict=tests/fuzz/dict/yaml.dict ;;
	*) dict="" ;;
	esac
	# shellcheck disable=SC2086 # $dict is one option or none
	"$bin" -seed="${FUZZ_SEED:-0}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$crashes/$short-" $dict "$work" "$seeds" >"$out/$short.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$short.log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$short.log")
	units=$(($(find "$work" "$seeds" -type f | wc -l)))
	printf '%-20s %12s %10s %6s %8s\n' "$short" "${execs:-?}" "${speed:-?}" "$secs" "$units"
	total_execs=$((total_execs + ${execs:-0}))
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "FAIL $short (exit $rc); log: $out/$short.log"
		grep -E '^(==[0-9]+==|SUMMARY|.*property violated|.*runtime error|artifact_prefix|Test unit written)' \
			"$out/$short.log" | head -n 20 | sed 's/^/  ! /'
	fi
done
echo "fuzz: $# harnesses, $total_execs executions, $failed failed"
[ $failed -eq 0 ]
