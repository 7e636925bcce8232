#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs INSIDE the kernel VM (tests/e2e/test_vm_xfrm_tc.sh): kernel ESP
# between two namespaces, an xfrm interface ipsec1 (if_id 42) in B
# (doc/testbed.md section 4); xwampd in B with --xdp ipsec1, xwping in A.
# Prints one PASS/FAIL line per check:
#   hook      xwampd chose the tc ingress program for the xfrm interface by
#             itself and attached it (log lines; `tc filter show` lists it)
#   twamp     a TWAMP session (open) through the tunnel: every packet back
#   light     a TWAMP Light session (xwping --light): every packet back
#   short     a TWAMP session of 14-octet sender packets (xwping -s 0): every
#             packet back, grown to 41 octets in tc_xwamp (bpf_skb_change_tail()
#             on the decrypted skb): pass-no-room did not grow
#   counters  the program's REFLECTED slot grew by the three sessions' packets,
#             xwampd's session lines say the socket reflected 0
#   esp_only  the veth carried ESP (>= 6 x COUNT) and no cleartext UDP/TCP
#   auto_*    xwampd --xfrm --xdp xwxv2 (no --xdp ipsec1): the xfrm view
#             finds the session's in-tunnel device and xwampd attaches
#             tc_xwamp to it by itself, XDP on the veth at the same time;
#             the session is reflected by tc, and detached at exit
#   guard_*   no fast path around IPsec: tests/vm/ipsec-guard.sh (sourced)
set -u
BUILD=${BUILD:-build}
XWAMPD=$BUILD/xwampd
XWPING=$BUILD/xwping
P=test_vm_xfrm_tc
A=xwx-a B=xwx-b
OA=192.0.2.1 OB=192.0.2.2 IA=198.51.100.1 IB=198.51.100.2
COUNT=20
W=$(mktemp -d /tmp/xw-vmtc.XXXXXX)

pass() { echo "PASS $P/$1"; }
fail() {
	echo "FAIL $P/$1: $2"
	[ -f "$W/xwampd.log" ] && tail -n 25 "$W/xwampd.log" | sed 's/^/#   /'
}
randkey() { echo "0x$(head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n')"; }

set -e
ip netns add $A
ip netns add $B
ip link add xwxv1 netns $A type veth peer name xwxv2 netns $B
for ns in $A $B; do
	ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n $A addr add $OA/24 dev xwxv1
ip -n $B addr add $OB/24 dev xwxv2
ip -n $A link set xwxv1 up
ip -n $B link set xwxv2 up
ip -n $A addr add $IA/32 dev lo
ip -n $B addr add $IB/32 dev lo
K1=$(randkey 20) K2=$(randkey 20) ALG="rfc4106(gcm(aes))"
ip -n $A xfrm state add src $OA dst $OB proto esp spi 0x1001 reqid 1 mode tunnel aead "$ALG" "$K1" 128
ip -n $A xfrm state add src $OB dst $OA proto esp spi 0x1002 reqid 1 mode tunnel aead "$ALG" "$K2" 128
ip -n $A xfrm policy add src $IA/32 dst $IB/32 dir out tmpl src $OA dst $OB proto esp reqid 1 mode tunnel
ip -n $A xfrm policy add src $IB/32 dst $IA/32 dir in tmpl src $OB dst $OA proto esp reqid 1 mode tunnel
ip -n $A route add $IB/32 dev xwxv1 src $IA
ip -n $B link add ipsec1 type xfrm dev xwxv2 if_id 42
ip -n $B link set ipsec1 up
ip -n $B xfrm state add src $OA dst $OB proto esp spi 0x1001 reqid 1 mode tunnel aead "$ALG" "$K1" 128 if_id 42
ip -n $B xfrm state add src $OB dst $OA proto esp spi 0x1002 reqid 1 mode tunnel aead "$ALG" "$K2" 128 if_id 42
ip -n $B xfrm policy add src $IB/32 dst $IA/32 dir out tmpl src $OB dst $OA proto esp reqid 1 mode tunnel if_id 42
ip -n $B xfrm policy add src $IA/32 dst $IB/32 dir in tmpl src $OA dst $OB proto esp reqid 1 mode tunnel if_id 42
ip -n $B route add $IA/32 dev ipsec1 src $IB
set +e
mkdir -p "$W/bpf" && mount -t bpf bpf "$W/bpf"
PINS=$W/bpf/xwamp

ip netns exec $B "$XWAMPD" -l $IB --xdp ipsec1 --bpf-dir "$PINS" \
	--light "port=8620 local=$IB" >"$W/xwampd.log" 2>&1 &
SRV=$!
for _ in $(seq 200); do
	ip netns exec $B ss -Hltn 'sport = :862' | grep -q LISTEN && break
	sleep 0.05
done
if grep -q "xdp: ipsec1: xfrm interface: tc ingress program" "$W/xwampd.log" &&
	grep -q "xdp: ipsec1: tc_xwamp attached" "$W/xwampd.log" &&
	tc -n $B filter show dev ipsec1 ingress | grep -q tc_xwamp; then
	pass hook
else
	fail hook "no tc_xwamp on ipsec1"
fi

refl() {
	bpftool -j map lookup pinned "$PINS/stats" key ${1:-0} 0 0 0 |
		python3 -c 'import json,sys; print(sum(v["value"] for v in json.load(sys.stdin)["formatted"]["values"]))'
}
ok_json() {
	python3 - "$1" "$COUNT" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); n = int(sys.argv[2])
s = s["sessions"][0] if "sessions" in s else s
pk = s["packets"]
if not (pk["sent"] == pk["received"] == n and pk["lost"] == 0):
    print("# %r" % pk); sys.exit(1)
PY
}
s0=$(refl)
nr0=$(refl 10) # XW_STAT_PASS_NOROOM
ip netns exec $B tcpdump -n -U --immediate-mode -Z root -i xwxv2 -w "$W/veth.pcap" \
	>/dev/null 2>"$W/tcpdump.err" &
CAP=$!
for _ in $(seq 100); do grep -q "listening on" "$W/tcpdump.err" && break; sleep 0.1; done
ip netns exec $A "$XWPING" -A open -c $COUNT -i 0.02 --json $IB >"$W/t.json" 2>"$W/t.err" &&
	ok_json "$W/t.json" && pass twamp || { fail twamp "xwping"; cat "$W/t.err"; }
ip netns exec $A "$XWPING" --light -c $COUNT -i 0.02 --wait 1 --json $IB:8620 >"$W/l.json" \
	2>"$W/l.err" && ok_json "$W/l.json" && pass light || { fail light "xwping --light"; cat "$W/l.err"; }
ip netns exec $A "$XWPING" -A open -s 0 -c $COUNT -i 0.02 --json $IB >"$W/s.json" 2>"$W/s.err" &&
	ok_json "$W/s.json" && [ "$(refl 10)" = "$nr0" ] && pass short ||
	{ fail short "xwping -s 0, pass-no-room $nr0 -> $(refl 10)"; cat "$W/s.err"; }
sleep 0.5
kill -INT $CAP
wait $CAP
s1=$(refl)
kill $SRV
wait $SRV
echo "# REFLECTED $s0 -> $s1"
if [ $((s1 - s0)) = $((3 * COUNT)) ] &&
	grep -Eq "session .*: (stopped|shutdown): received 0, reflected 0, dropped 0; XDP: reflected $COUNT " "$W/xwampd.log" &&
	grep -q "light port=8620 .*closed: socket received 0, reflected 0, dropped 0; XDP: reflected $COUNT" "$W/xwampd.log"; then
	pass counters
else
	fail counters "REFLECTED $s0 -> $s1, want +$((3 * COUNT)), socket 0"
fi
esp=$(tcpdump -n -r "$W/veth.pcap" esp 2>/dev/null | wc -l)
clear=$(tcpdump -n -r "$W/veth.pcap" 'udp or tcp' 2>/dev/null | wc -l)
echo "# veth: $esp ESP, $clear cleartext UDP/TCP"
[ "$esp" -ge $((6 * COUNT)) ] && [ "$clear" = 0 ] && pass esp_only || fail esp_only "$esp ESP, $clear clear"

# Second run: no --xdp on ipsec1.  With --xfrm the view finds the session's
# SA, its if_id and the xfrm interface carrying it, and xwampd attaches the
# tc program there by itself; the same xwampd has XDP (Ethernet frames) on
# the veth, so one process serves both kinds of device.
ip netns exec $B "$XWAMPD" -l $IB --xfrm --xdp xwxv2 --bpf-dir "$PINS" >"$W/xwampd.log" 2>&1 &
SRV=$!
for _ in $(seq 200); do
	ip netns exec $B ss -Hltn 'sport = :862' | grep -q LISTEN && break
	sleep 0.05
done
if tc -n $B filter show dev ipsec1 ingress | grep -q tc_xwamp; then
	fail auto_before "tc_xwamp on ipsec1 before any session (the first run left it?)"
else
	pass auto_before
fi
s0=$(refl)
ip netns exec $A "$XWPING" -A open -c $COUNT -i 0.02 --json $IB >"$W/a.json" 2>"$W/a.err" &&
	ok_json "$W/a.json" || { fail auto_twamp "xwping"; cat "$W/a.err"; }
s1=$(refl)
kill $SRV
wait $SRV
echo "# REFLECTED $s0 -> $s1"
if grep -q "xdp: xwxv2: xdp_xwamp attached (.*Ethernet frames" "$W/xwampd.log" &&
	grep -q "IPsec: in-tunnel device ipsec1 (ifindex [0-9]*, if_id 42)" "$W/xwampd.log" &&
	grep -q "attaching the reflector to ipsec1" "$W/xwampd.log" &&
	grep -q "xdp: ipsec1: tc_xwamp attached" "$W/xwampd.log" &&
	[ $((s1 - s0)) = $COUNT ] &&
	grep -Eq "session .*: (stopped|shutdown): received 0, reflected 0, dropped 0; XDP: reflected $COUNT " "$W/xwampd.log"; then
	pass auto_attach
else
	fail auto_attach "xfrm view did not put the reflector on ipsec1 (REFLECTED $s0 -> $s1)"
fi
if tc -n $B filter show dev ipsec1 ingress | grep -q tc_xwamp; then
	fail auto_detach "tc_xwamp still on ipsec1 after xwampd exited"
else
	pass auto_detach
fi
. "$(dirname "$0")/ipsec-guard.sh"

umount -l "$W/bpf"
ip netns del $A
ip netns del $B
