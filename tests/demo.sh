#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: a real measurement between two network namespaces joined by veth.
# xwampd runs in one, xwping in the other; first an unauthenticated session,
# then an encrypted one with a key file in the reference implementation's
# format, then the unauthenticated one again reflected by XDP (xwampd --xdp)
# with its BPF counters.  Everything is removed afterwards.
#
# It runs what `make install` installs, as a user types it (README: Using
# it): the tree is installed into a scratch root (PREFIX=/usr, DESTDIR), its
# /usr/sbin and /usr/bin come first in PATH, and $ETC stands for /etc/xwamp.
set -u
. "$(dirname "$0")/e2e/lib.sh"

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }
trap xw_ns_down EXIT
xw_ns_up || exit 1
ROOT=$XW_TMP/root
make -s -C "$XW_ROOT" BUILD="$XW_BUILD" install DESTDIR="$ROOT" PREFIX=/usr >/dev/null || exit 1
PATH=$ROOT/usr/sbin:$ROOT/usr/bin:$PATH
XWAMPD=$ROOT/usr/sbin/xwampd XWPING=$ROOT/usr/bin/xwping
ETC=$ROOT/etc/xwamp
echo "== make install DESTDIR=$ROOT PREFIX=/usr; \$ETC is its /etc/xwamp"
echo
echo "== printf 'correct horse battery\n' | xwamp-keys add \$ETC/keys alice"
printf 'correct horse battery\n' | xwamp-keys add "$ETC/keys" alice || exit 1
chown nobody "$ETC/keys" # README: chown xwamp: (SIGHUP re-reads it as that user; none here)
cat >"$ETC/xwampd.conf" <<CONF
# $ETC/xwampd.conf (xwampd(8), README: Configuration)
listen $XW_S4
listen [$XW_S6]
keyfile $ETC/keys
modes unauthenticated authenticated encrypted unauth-test-encrypt-control
servwait 60
CONF
chmod 755 "$XW_TMP" "$ROOT" "$ROOT/etc" "$ETC" # read again on SIGHUP, as the user xwampd drops to
echo "== xwampd --config \$ETC/xwampd.conf --check-config"
xwampd --config "$ETC/xwampd.conf" --check-config 2>/dev/null | grep -v '^#\|# default$' |
	sed 's/^/   /'
xw_start_server --config "$ETC/xwampd.conf" || exit 1

echo
echo "== xwampd --config \$ETC/xwampd.conf in namespace $XW_NS_S, xwping in $XW_NS_C"
echo
echo "== xwping -A open -c 100 -i 0.01 $XW_S4"
in_c xwping -A open -c 100 -i 0.01 $XW_S4 || exit 1
echo
echo "== xwping -A enc -u alice -k \$ETC/keys -c 100 --schedule poisson -i 0.01 [$XW_S6]"
in_c xwping -A enc -u alice -k "$ETC/keys" -c 100 --schedule poisson -i 0.01 "[$XW_S6]" || exit 1
echo
echo "== servwait 30 in the file, then kill -HUP (systemctl reload xwampd)"
sed -i 's/^servwait 60$/servwait 30/' "$ETC/xwampd.conf"
kill -HUP "$XW_SRV_PID"
sleep 0.3
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
in_c xwping -A open -c 100 -i 0.01 $XW_S4 || exit 1
kill -USR1 "$XW_SRV_PID"
sleep 0.3
echo
echo "== bpftool prog show pinned /sys/fs/bpf/xwamp/xdp_xwamp (in xwampd's mount namespace)"
nsenter -t "$XW_SRV_PID" -m bpftool prog show pinned /sys/fs/bpf/xwamp/xdp_xwamp | sed 's/^/   /'
echo
echo "== xwampd's XDP lines (SIGUSR1 status: the session's XDP counters, the global ones)"
grep -E 'xdp|XDP' "$XW_TMP/xwampd.log" | sed 's/^/   /'
