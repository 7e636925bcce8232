#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# In-tunnel reflection on strongSwan's kernel-libipsec TUN device: the
# testbed's IKEv2/ESP tunnel between two namespaces (tests/testbed/
# ipsec-netns.sh, ESP in UDP/4500 done by charon), xwampd in the responder
# with --xdp ipsec0 and listening on the inner address 198.51.100.2,
# xwping in the initiator.
#
# Asserts: xwampd chose generic XDP with L3-only frames for ipsec0 by itself
# (log line) and attached; a TWAMP session (open mode) and a TWAMP Light
# session both get every packet back; the XDP "stats" REFLECTED slot grew by
# exactly the packets of both (so XDP_TX reflected them into the tunnel:
# the socket reflected 0, xwampd's session lines say so); the veth between
# the namespaces carried the test traffic only as ESP in UDP/4500 - at
# least 4 x COUNT such datagrams, and no cleartext TWAMP-Control or
# TWAMP-Test (TCP 862, UDP to/from the test ports).
set -u
. "$(dirname "$0")/lib.sh"

xw_testbed it
INNER_R=198.51.100.2
COUNT=30
PREFIX=test_e2e_ipsec_tun

stat_reflected() {
	bpftool -j map lookup pinned "$PINS/stats" key 0 0 0 0 |
		python3 -c 'import json,sys; print(sum(v["value"] for v in json.load(sys.stdin)["formatted"]["values"]))'
}

ping_ok() { # FILE: every packet back, unauthenticated
	python3 - "$1" "$COUNT" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); n = int(sys.argv[2])
s = s["sessions"][0] if "sessions" in s else s
pk = s["packets"]
ok = s["session"]["mode"] == "unauthenticated" and pk["sent"] == pk["received"] == n and not pk["lost"]
ok = ok and s["rtt_ms"]["n"] == n and 0 < s["rtt_ms"]["min"] <= s["rtt_ms"]["max"] < 2000
if not ok:
    print("# xwping %s: %r %r" % (sys.argv[1], pk, s["rtt_ms"])); sys.exit(1)
PY
}

fail() {
	echo "# check failed: $*"
	[ -f "$W/xwampd.log" ] && sed 's/^/#   /' "$W/xwampd.log" | tail -n 30
	echo "FAIL $PREFIX/tun_xdp"
	exit 1
}

[ "$(id -u)" = 0 ] || { echo "SKIP $PREFIX/tun_xdp: needs root"; exit 0; }
[ -x "$TB" ] || { echo "FAIL $PREFIX/tun_xdp: no $TB (set XW_TESTBED)"; exit 1; }
t0=$(date +%s)
"$TB" up >"$W/tb.log" 2>&1 || { sed 's/^/#   /' "$W/tb.log"; fail "ipsec-netns.sh up"; }
TUN=$(ip -n "$TB_NS_R" -o link show type tun | awk -F': ' '{print $2; exit}')
[ -n "$TUN" ] || fail "no TUN device in $TB_NS_R"
echo "# tunnel up in $(($(date +%s) - t0)) s, TUN device $TUN"
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || fail "bpffs"

# after "up": the TUN device is charon's and is recreated when charon restarts
ip netns exec "$TB_NS_R" "$XWAMPD" -l "$INNER_R" --xdp "$TUN" --bpf-dir "$PINS" \
	--light "port=8620 local=$INNER_R" >"$W/xwampd.log" 2>&1 &
SRV=$!
for _ in $(seq 100); do
	ip netns exec "$TB_NS_R" ss -Hltn 'sport = :862' | grep -q LISTEN && break
	sleep 0.05
done
grep -q "xdp: $TUN: no link-layer header (TUN): generic XDP" "$W/xwampd.log" ||
	fail "xwampd did not choose generic L3 XDP for $TUN by itself"
grep -q "xdp: $TUN: xdp_xwamp attached (generic mode" "$W/xwampd.log" || fail "not attached"
ip -n "$TB_NS_R" -d link show "$TUN" | grep -q "prog/xdp" || fail "no XDP program on $TUN"

s0=$(stat_reflected)
ip netns exec "$TB_NS_R" tcpdump -n -U --immediate-mode -Z root -i "$TB_VETH_R" \
	-w "$W/veth.pcap" >/dev/null 2>"$W/tcpdump.err" &
CAP=$!
# "listening on" once the capture is live
for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.err" && break; sleep 0.1; done
ip netns exec "$TB_NS_I" "$XWPING" -A open -c $COUNT -i 0.01 --json "$INNER_R" \
	>"$W/twamp.json" 2>"$W/ping.err" || { cat "$W/ping.err"; fail "xwping (TWAMP)"; }
ip netns exec "$TB_NS_I" "$XWPING" --light -c $COUNT -i 0.01 --wait 1 --json "$INNER_R:8620" \
	>"$W/light.json" 2>>"$W/ping.err" || { cat "$W/ping.err"; fail "xwping --light"; }
sleep 0.3
kill -INT "$CAP"
wait "$CAP" 2>/dev/null
ping_ok "$W/twamp.json" || fail "TWAMP session results"
ping_ok "$W/light.json" || fail "TWAMP Light session results"
s1=$(stat_reflected)
echo "# XDP REFLECTED on $TUN: $s0 -> $s1"
[ $((s1 - s0)) = $((2 * COUNT)) ] || fail "REFLECTED grew by $((s1 - s0)), want $((2 * COUNT))"

esp=$(tcpdump -n -r "$W/veth.pcap" 'udp port 4500' 2>/dev/null | wc -l)
clear=$(tcpdump -n -r "$W/veth.pcap" 'tcp port 862 or (udp and not port 4500 and not port 500)' \
	2>/dev/null | wc -l)
echo "# veth $TB_VETH_R: $esp ESP-in-UDP/4500 datagrams, $clear cleartext TWAMP"
[ "$esp" -ge $((4 * COUNT)) ] || fail "only $esp ESP datagrams on the veth"
[ "$clear" = 0 ] || fail "$clear cleartext TWAMP packets on the veth"

kill "$SRV" && wait "$SRV"
rc=$?
SRV=
[ $rc = 0 ] || fail "xwampd exit $rc"
grep -Eq "session .*: (stopped|shutdown): received 0, reflected 0, dropped 0; XDP: reflected $COUNT " \
	"$W/xwampd.log" || fail "TWAMP session line: socket 0, XDP $COUNT"
grep -q "light port=8620 .*closed: socket received 0, reflected 0, dropped 0; XDP: reflected $COUNT" \
	"$W/xwampd.log" || fail "Light session line: socket 0, XDP $COUNT"
echo "# total $(($(date +%s) - t0)) s"
echo "PASS $PREFIX/tun_xdp"
