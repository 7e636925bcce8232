#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd against real kernel IPsec: boots Debian's stock kernel (with ESP)
# under qemu once (tests/testbed/kernel-vm.sh, ~7 s boot under TCG) and runs
# tests/vm/xfrm-vm.sh in it: xwampd --xfrm-dump vs `ip xfrm`, sessions
# through and outside an ESP tunnel with --require-ipsec, rekey, update and
# expiry events in xwampd's log.  One boot for all checks.
#
# tests/vm/run.sh boots the VM and reports (needs root, qemu, the kernel
# package the first time; XW_TESTBED overrides the testbed directory).
exec bash "$(dirname "$0")/../vm/run.sh" test_vm_xfrm tests/vm/xfrm-vm.sh
