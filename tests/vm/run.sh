#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/vm/run.sh NAME SCRIPT: boot Debian's stock kernel (with ESP) under
# qemu once (tests/testbed/kernel-vm.sh, ~7 s boot under TCG), run SCRIPT (a
# path relative to the repository) inside it, and pass its PASS/FAIL lines
# on.  A VM that did not run the script is a failure of test NAME.
#
# Needs root, qemu (installed by kernel-vm.sh) and, the first time, the
# Debian kernel package (kernel-vm.sh --prepare downloads it, ~10 s).
# XW_TESTBED overrides the testbed directory (default tests/testbed);
# XW_VM_TIMEOUT the time limit of the whole VM run (default 240 s).
set -u
name=$1
script=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
TB=${XW_TESTBED:-$ROOT/tests/testbed}
VM=$TB/kernel-vm.sh
BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac

if [ ! -x "$VM" ]; then
	echo "SKIP $name/vm: no $VM (set XW_TESTBED)"
	exit 77
fi
if [ ! -x "$BUILD_DIR/xwampd" ] || [ ! -x "$BUILD_DIR/xwping" ]; then
	echo "SKIP $name/vm: build first (make)"
	exit 77
fi
log=$(mktemp "/tmp/xw-$name.XXXXXX")
t0=$(date +%s)
# the VM's output: the script's PASS/FAIL lines plus boot noise (serial console: \r\n)
BUILD=$BUILD_DIR \
	"$VM" -t "${XW_VM_TIMEOUT:-240}" env BUILD="$BUILD_DIR" bash "$script" >"$log" 2>&1
rc=$?
tr -d '\r' <"$log" | grep -E '^(PASS|FAIL|SKIP|#) '
echo "# VM run: $(($(date +%s) - t0)) s, exit $rc"
if [ $rc = 124 ] || [ $rc = 125 ] || ! grep -q '^PASS ' <(tr -d '\r' <"$log"); then
	echo "FAIL $name/vm: kernel VM did not run the test (exit $rc)"
	tr -d '\r' <"$log" | tail -20 | sed 's/^/#   /'
	rm -f "$log"
	exit 1
fi
rm -f "$log"
exit $rc
