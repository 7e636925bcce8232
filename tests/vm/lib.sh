# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the scripts of tests/vm/ that run INSIDE the kernel VM
# (tests/vm/run.sh) with two namespaces around a veth pair: xfrm-vm.sh,
# saprof-vm.sh.  Set A, B (namespaces), OA, OB (their veth addresses, /24)
# before sourcing; then:
#   vm_init NAME        ROOT, XWAMPD, XWPING (of $BUILD), T (a temporary
#                       directory), fails=0, pid= (a server to stop), pass()
#                       and fail() printing "PASS NAME/what" and "FAIL
#                       NAME/what: why", and the EXIT trap that stops $pid and
#                       deletes both namespaces
#   vm_netns VA VB      the namespaces, the veth VA (in A) <-> VB (in B) with
#                       OA and OB, lo up, IPv6 off (no router solicitations
#                       or DAD in what the tests look at); set -e inside,
#                       as in the callers' setup()
#   vm_done             removes $T; the script's exit status: 1 if any fail
vm_init() {
	VM_NAME=$1
	ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	B_=${BUILD:-$ROOT/build}
	case $B_ in /*) ;; *) B_=$ROOT/$B_ ;; esac
	XWAMPD=$B_/xwampd
	XWPING=$B_/xwping
	T=$(mktemp -d "/tmp/xw-vm-$VM_NAME.XXXXXX")
	fails=0
	pid=
	trap vm_cleanup EXIT
}

pass() { echo "PASS $VM_NAME/$1"; }
fail() {
	echo "FAIL $VM_NAME/$1: $2"
	fails=$((fails + 1))
}

vm_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}

vm_netns() {
	local ns
	set -e
	ip netns add "$A"
	ip netns add "$B"
	ip link add "$1" netns "$A" type veth peer name "$2" netns "$B"
	for ns in "$A" "$B"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	done
	ip -n "$A" addr add "$OA/24" dev "$1"
	ip -n "$B" addr add "$OB/24" dev "$2"
	ip -n "$A" link set "$1" up
	ip -n "$B" link set "$2" up
	set +e
}

vm_done() {
	rm -rf "$T"
	exit $((fails > 0))
}
