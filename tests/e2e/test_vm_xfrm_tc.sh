#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd's tc reflector on a kernel xfrm interface: boots Debian's stock
# kernel (with ESP) under qemu once (tests/testbed/kernel-vm.sh, ~7 s boot under
# TCG) and runs tests/vm/tunnels-xfrm-tc.sh in it: ESP between two
# namespaces with an xfrm interface, xwampd --xdp on it picks the tc ingress
# program by itself, TWAMP and TWAMP Light sessions through the tunnel with
# 0 loss, REFLECTED counters, ESP only on the wire; then no fast path around
# IPsec (tests/vm/ipsec-guard.sh: spoofed cleartext, SA and policy deleted
# under running sessions, --require-ipsec with TWAMP Light, generic XDP on
# policy-based IPsec).  One boot for all checks (~60 s more under TCG: the
# time limit is raised).
#
# tests/vm/run.sh boots the VM and reports (needs root, qemu, the kernel
# package the first time; XW_TESTBED overrides the testbed directory).
XW_VM_TIMEOUT=${XW_VM_TIMEOUT:-420} exec bash "$(dirname "$0")/../vm/run.sh" test_vm_xfrm_tc tests/vm/tunnels-xfrm-tc.sh
