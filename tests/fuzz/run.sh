#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs each libFuzzer harness of build/fuzz/ for a bounded time (README "Fuzzing").
#   tests/fuzz/run.sh [SECONDS [NAME...]]     default 60 s each, every harness
#
# Each harness starts from its seed corpus tests/fuzz/corpus/NAME/ (read
# only: it is replayed first, so every input once found to crash is run
# again) plus what earlier runs found, in build/fuzz/corpus/NAME/.  Prints
# "PASS fuzz/NAME: N runs, cov C" or "FAIL fuzz/NAME: ..." with the input
# saved under build/fuzz/crash/NAME-DATE-* (kept across runs) and the
# sanitizer's report; exit 1 on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
SECS=${1:-60}
shift $(($# > 0 ? 1 : 0))
names=("$@")
if [ ${#names[@]} = 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		names+=("${n#fuzz_}")
	done
fi

# Largest input per harness: a control conversation or a packet, not megabytes.
max_len() {
	case $1 in
	testpkt) echo 2048 ;;
	srv | cli | xfrm) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

rc=0
for n in "${names[@]}"; do
	bin=$BUILD/fuzz/fuzz_$n
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz/$n: $bin not built (make fuzz-build)"
		rc=1
		continue
	fi
	work=$BUILD/fuzz/corpus/$n
	crash=$BUILD/fuzz/crash
	log=$BUILD/fuzz/log-$n.txt
	mkdir -p "$work" "$crash" "tests/fuzz/corpus/$n"
	stamp=$(date +%Y%m%d-%H%M%S)
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: a leak or a blowup
	timeout -k 10 $((SECS + 120)) "$bin" -max_total_time="$SECS" -timeout=10 \
		-rss_limit_mb=2048 -max_len="$(max_len "$n")" -print_final_stats=1 \
		-artifact_prefix="$crash/$n-$stamp-" "$work" "tests/fuzz/corpus/$n" >"$log" 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
	art=$(ls "$crash/$n-$stamp-"* 2>/dev/null | head -n1)
	if [ $st = 0 ] && [ -z "$art" ]; then
		echo "PASS fuzz/$n: ${runs:-?} runs in ${SECS}s, ${cov:-cov: ?}"
	else
		echo "FAIL fuzz/$n: exit $st, input ${art:-none} (log $log)"
		grep -E 'ERROR: |SUMMARY: |invariant failed|runtime error' "$log" | head -n 5 | sed 's/^/  | /'
		grep -E '^ +#[0-9]+ ' "$log" | grep -v -E 'libFuzzer|fuzzer::|libc|_start' |
			head -n 8 | sed 's/^/  | /'
		rc=1
	fi
done
exit $rc
