#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: a real measurement between two network namespaces joined by veth.
# xwampd runs in one, xwping in the other; first an unauthenticated session,
# then an encrypted one with a key file in the reference implementation's
# format, then the unauthenticated one again reflected by XDP (xwampd --xdp)
# with its BPF counters.  Everything is removed afterwards.
set -u
. "$(dirname "$0")/e2e/lib.sh"

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }
trap xw_ns_down EXIT
xw_ns_up || exit 1
kf=$(xw_keyfile)
xw_start_server --listen $XW_S4 --listen "[$XW_S6]" --keyfile "$kf" --modes open,auth,enc,mixed ||
	exit 1

echo "== xwampd in namespace $XW_NS_S on $XW_S4 and $XW_S6, xwping in $XW_NS_C"
echo
echo "== xwping -A open -c 100 -i 0.01 $XW_S4"
in_c "$XWPING" -A open -c 100 -i 0.01 $XW_S4 || exit 1
echo
echo "== xwping -A enc -u alice -k keys -c 100 $XW_S6 (Poisson schedule, mean 10 ms)"
in_c "$XWPING" -A enc -u alice -k "$kf" -c 100 --schedule poisson -i 0.01 "[$XW_S6]" || exit 1
echo
echo "== xwampd log"
sed 's/^/   /' "$XW_TMP/xwampd.log"

# The XDP reflector: xwampd restarted with --xdp on its veth.  veth only
# delivers XDP_TX'ed frames to a peer that has an XDP program itself, and the
# sender's TX checksum offload must be off (README: XDP); real NICs need neither.
kill "$XW_SRV_PID" && wait "$XW_SRV_PID"
ip -n "$XW_NS_C" link set dev xwc0 xdpdrv obj "$XW_BUILD/bpf/xdp_pass.bpf.o" sec xdp || exit 1
in_c ethtool -K xwc0 tx off >/dev/null
xw_start_server --listen $XW_S4 --xdp xws0 || exit 1
echo
echo "== xwampd --xdp xws0; xwping -A open -c 100 -i 0.01 $XW_S4 (reflected by XDP)"
in_c "$XWPING" -A open -c 100 -i 0.01 $XW_S4 || exit 1
kill -USR1 "$XW_SRV_PID"
sleep 0.3
echo
echo "== bpftool prog show pinned /sys/fs/bpf/xwamp/xdp_xwamp (in xwampd's mount namespace)"
nsenter -t "$XW_SRV_PID" -m bpftool prog show pinned /sys/fs/bpf/xwamp/xdp_xwamp | sed 's/^/   /'
echo
echo "== xwampd's XDP lines (SIGUSR1 status: the session's XDP counters, the global ones)"
grep -E 'xdp|XDP' "$XW_TMP/xwampd.log" | sed 's/^/   /'
