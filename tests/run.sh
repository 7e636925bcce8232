#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs every test xwamp has and ends with "N passed, N failed".
#   tests/run.sh              everything: unit, BPF, offline interop, end to end
#   tests/run.sh PATTERN...   only the test programs/scripts whose name contains PATTERN
#
# Every test program prints one line per case: "PASS name" or "FAIL name: why"
# ("SKIP name: why" counts as a failure: a test that cannot run here proves nothing).
# A program that dies without reporting is a failure too.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"

progs=()
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && progs+=("$t")
done
for t in tests/e2e/test_*.sh; do
	[ -f "$t" ] && progs+=("$t")
done


passed=0
failed=0
start=$(date +%s)
for t in "${progs[@]}"; do
	name=$(basename "$t")
	if [ $# -gt 0 ]; then
		match=0
		for p in "$@"; do
			case $name in *"$p"*) match=1 ;; esac
		done
		[ $match = 1 ] || continue
	fi
	log=$LOGDIR/$name.log
	t0=$(date +%s)
	case $t in
	*.sh) timeout -k 10 900 bash "$t" >"$log" 2>&1 ;;
	*) timeout -k 10 300 "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c -E '^(FAIL|SKIP) ' "$log")
	grep -E '^(FAIL|SKIP) ' "$log" | sed 's/^/  /'
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "  FAIL $name: exited with status $rc without reporting a failure (log: $log)"
		tail -n 15 "$log" | sed 's/^/    | /'
		f=1
	elif [ "$f" != 0 ]; then
		echo "  (log: $log)"
	fi
	printf '%-32s %3d passed, %d failed  (%ds)\n' "$name" "$p" "$f" $(($(date +%s) - t0))
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "total time $(($(date +%s) - start))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
