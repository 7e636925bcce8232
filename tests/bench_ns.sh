# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the benchmarks that need their own pair of namespaces
# (tests/bench_afxdp.sh, tests/bench_scale.sh).  The caller sets NAME (for
# messages), NS_C, NS_S, TMP and PIDS; this gives die() and a cleanup on
# exit that stops PIDS, removes the namespaces and TMP (and a bpffs there),
# then bench_veth_pair IFC IFS: the veth pair, 192.0.2.1 / 192.0.2.2 (RFC
# 5737), up, permanent neighbours, client TX checksums completed in software.

die() {
	echo "$NAME: $*" >&2
	exit 1
}
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	umount -l "$TMP/bpf" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

bench_veth_pair() {
	local mac_c mac_s
	ip netns add "$NS_C" && ip netns add "$NS_S" || die "namespaces"
	ip link add "$1" netns "$NS_C" type veth peer name "$2" netns "$NS_S" || die "veth"
	ip -n "$NS_C" addr add 192.0.2.1/24 dev "$1"
	ip -n "$NS_S" addr add 192.0.2.2/24 dev "$2"
	ip -n "$NS_C" link set lo up
	ip -n "$NS_S" link set lo up
	ip -n "$NS_C" link set "$1" up
	ip -n "$NS_S" link set "$2" up
	ip netns exec "$NS_C" ethtool -K "$1" tx off >/dev/null
	mac_c=$(ip -n "$NS_C" -br link show "$1" | awk '{print $3}')
	mac_s=$(ip -n "$NS_S" -br link show "$2" | awk '{print $3}')
	ip -n "$NS_S" neigh replace 192.0.2.1 lladdr "$mac_c" dev "$2" nud permanent
	ip -n "$NS_C" neigh replace 192.0.2.2 lladdr "$mac_s" dev "$1" nud permanent
}
