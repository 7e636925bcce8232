#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd's tc reflector on a kernel xfrm interface: boots Debian's stock
# kernel (with ESP) under qemu once (testbed kernel-vm.sh, ~7 s boot under
# TCG) and runs tests/vm/tunnels-xfrm-tc.sh in it: ESP between two
# namespaces with an xfrm interface, xwampd --xdp on it picks the tc ingress
# program by itself, TWAMP and TWAMP Light sessions through the tunnel with
# 0 loss, REFLECTED counters, ESP only on the wire.  One boot for all checks.
#
# Needs root, qemu (installed by kernel-vm.sh) and, the first time, the
# Debian kernel package (kernel-vm.sh --prepare downloads it, ~10 s).
# XW_TESTBED overrides the testbed directory (default ../shared/testbed).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
TB=${XW_TESTBED:-$ROOT/../shared/testbed}
VM=$TB/kernel-vm.sh
BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac

if [ ! -x "$VM" ]; then
	echo "SKIP test_vm_xfrm_tc/vm: no $VM (set XW_TESTBED)"
	exit 77
fi
if [ ! -x "$BUILD_DIR/xwampd" ] || [ ! -x "$BUILD_DIR/xwping" ]; then
	echo "SKIP test_vm_xfrm_tc/vm: build first (make)"
	exit 77
fi
log=$(mktemp /tmp/xw-vm-xfrmtc.XXXXXX)
t0=$(date +%s)
# the VM's output: PASS/FAIL lines of tunnels-xfrm-tc.sh plus boot noise (serial console: \r\n)
BUILD=$BUILD_DIR \
	"$VM" -t 240 env BUILD="$BUILD_DIR" bash tests/vm/tunnels-xfrm-tc.sh >"$log" 2>&1
rc=$?
tr -d '\r' <"$log" | grep -E '^(PASS|FAIL|SKIP|#) '
echo "# VM run: $(($(date +%s) - t0)) s, exit $rc"
if [ $rc = 124 ] || [ $rc = 125 ] || ! grep -q '^PASS ' <(tr -d '\r' <"$log"); then
	echo "FAIL test_vm_xfrm_tc/vm: kernel VM did not run the test (exit $rc)"
	tr -d '\r' <"$log" | tail -20 | sed 's/^/#   /'
	rm -f "$log"
	exit 1
fi
rm -f "$log"
exit $rc
