#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The IPsec SA profile with real ESP: boots Debian's stock kernel under
# qemu (tests/testbed/kernel-vm.sh) and runs tests/vm/saprof-vm.sh in it:
# xwampd and xwping with keys only from the kernel SAD, every variant and
# keyed mode, SPIs against `ip xfrm state`, an SA pair replaced under a
# running session, encryption-only ESP refused, a session between inner
# addresses keyed from tunnel-mode SAs found through the SPD; the SAs strongSwan (kernel
# backend) negotiates, keyed from the kernel SAD and from the charon plugin.
# strongSwan in the VM too (kernel backend): more than the default 240 s under TCG
# (196 s without it, 203 s with it; 350 s once on a host with load 10)
XW_VM_TIMEOUT=${XW_VM_TIMEOUT:-600} exec bash "$(dirname "$0")/../vm/run.sh" test_vm_saprof \
	tests/vm/saprof-vm.sh
